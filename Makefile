# One line each for the README's two commands, plus the checks CI runs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint typecheck bench clean

# The demo needs the command (cli) and the local Amazon (sandbox); the core install is the library only.
$(BIN)/amzauth:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[cli,sandbox]"

install: $(BIN)/amzauth

install-test: install
	$(BIN)/pip install -q -e ".[test,dev]"

# README command 1: install and run the main job (the sandbox is embedded; no Amazon account needed).
demo: install
	$(BIN)/amzauth demo

# README command 2: run the tests (the test extra brings every other extra).
test: install-test
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src
	$(BIN)/lint-imports

typecheck: install-test
	$(BIN)/mypy src

bench: install-test
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

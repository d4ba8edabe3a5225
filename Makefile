# One line each for the README's two commands, plus the checks CI runs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint typecheck bench clean

$(BIN)/amzauth:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .

install: $(BIN)/amzauth

install-test: install
	$(BIN)/pip install -q -e ".[test,dev]"

# README command 1: install and run the main job (the sandbox is embedded; no Amazon account needed).
demo: install
	$(BIN)/amzauth demo

# README command 2: run the tests.
test: install-test
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src

typecheck: install-test
	$(BIN)/mypy src

# Every benchmark, then one table of every figure with its target (the soak: benchmarks/run_all.py --soak).
bench: install-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

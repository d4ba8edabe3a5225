# One line each for the README's two commands, plus the checks CI runs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast install install-test docs lint typecheck bench clean

# The demo needs the command (cli) and the local Amazon (sandbox); the core install is the library only.
# The first run spends its time here (venv ~8 s, install ~12 s measured); each step says so as it starts.
# pip is not upgraded first: the venv's bundled pip (Python >= 3.11) installs editable projects already.
$(BIN)/amzauth:
	@echo "make demo: creating the virtual environment $(VENV) (first run only)..."
	$(PY) -m venv $(VENV)
	@echo "make demo: installing amzauth[cli,sandbox] and its dependencies into $(VENV) (first run only, about 20 s)..."
	$(BIN)/pip install -q --disable-pip-version-check -e ".[cli,sandbox]"

install: $(BIN)/amzauth

install-test: install
	$(BIN)/pip install -q -e ".[test,dev]"

# README command 1: install and run the main job (the sandbox is embedded; no Amazon account needed).
demo: install
	@echo "make demo: running amzauth demo..."
	$(BIN)/amzauth demo

# README command 2: run the tests (the test extra brings every other extra).
test: install-test
	$(BIN)/python -m pytest -q

# The quick loop: everything but the multi-process (slow) and Chromium (browser) tests.
test-fast: install-test
	$(BIN)/python -m pytest -q -m "not slow and not browser"

# The documentation site (mkdocs.yml, pages in docs/), strict: a broken link or reference fails the build.
docs: install-test
	$(BIN)/pip install -q -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src
	$(BIN)/lint-imports

typecheck: install-test
	$(BIN)/mypy src

# Every benchmark, then one table of every figure with its target (the soak: benchmarks/run_all.py --soak).
bench: install-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site

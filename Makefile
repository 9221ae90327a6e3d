# The README's two commands: `make run` and `make test`. Both build .venv from scratch when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DRAWS  ?= 1000

.PHONY: run test lint clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 on PATH (Python 3.11 is required)" >&2; exit 2; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { echo "error: $(PYTHON) is older than Python 3.11" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(BIN)/cea run --countries all --scenarios base --draws $(DRAWS)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check model tests benchmarks notebooks
	$(BIN)/cea validate
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache

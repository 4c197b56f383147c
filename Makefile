# `make run` sets everything up, loads the demo and serves the web app; `make test` sets up and runs the checks and the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RUN_DB ?= sqlite:///$(CURDIR)/out/afteraction.core.db
RUN_HOST ?= 127.0.0.1
RUN_PORT ?= 8000

.PHONY: setup run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	mkdir -p out
	AFTERACTION_DATABASE_URL=$(RUN_DB) $(BIN)/afteraction init
	AFTERACTION_DATABASE_URL=$(RUN_DB) $(BIN)/afteraction demo --quiet --markdown out/demo-postmortem.md --user demo
	@echo "Open http://$(RUN_HOST):$(RUN_PORT)/ and sign in with the user and password above."
	AFTERACTION_DATABASE_URL=$(RUN_DB) $(BIN)/afteraction serve --host $(RUN_HOST) --port $(RUN_PORT)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy src

pytest: setup
	$(BIN)/pytest

test: lint typecheck pytest

bench: setup
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis

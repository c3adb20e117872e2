# Casepath: `make run` starts the app with demo data on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.casepath-app
TEST_STAMP := $(VENV)/.casepath-test
ASSETS_STAMP := web/static/dist/.built

.PHONY: run test bench lint install install-test assets catalogs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(APP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(APP_STAMP)

install: $(APP_STAMP) assets catalogs
install-test: $(TEST_STAMP) assets catalogs

# The web app's Bulgarian and English messages: .po files are committed, .mo files compiled here.
catalogs: | $(BIN)/python
	$(BIN)/pybabel -q compile -d web/translations

assets: $(ASSETS_STAMP)

$(ASSETS_STAMP): package.json $(wildcard web/assets/*.js) $(wildcard web/assets/*.css) $(wildcard web/assets/studio/*)
	npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

run: install
	$(BIN)/casepath db upgrade
	$(BIN)/casepath demo
	CASEPATH_DEMO=1 $(BIN)/casepath serve --host 127.0.0.1 --port 5000

test: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile

bench: install-test
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules web/static/dist instance/casepath.sqlite3*

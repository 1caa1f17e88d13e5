# PVD platform — the two commands: `make run` (serve the platform) and `make test` (whole suite).
# Both are idempotent: a second run installs nothing new and changes no data.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run test install install-dev node lint test-sqlite test-postgres bench serve data lock clean

## run: install what the platform needs, migrate, load the referential and demo data, serve it
run: install data serve

## test: install the test dependencies, lint, run the suite on SQLite (and PostgreSQL in CI)
test: install-dev node lint test-sqlite
	@if [ "$${CI:-}" = "true" ] || [ "$${PVD_TEST_POSTGRES:-}" = "1" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL pass skipped (set PVD_TEST_POSTGRES=1, or CI=true, to run it)."; fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt requirements/base.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node: node_modules/.package-lock.json

install: $(VENV)/.base-installed node

install-dev: $(VENV)/.dev-installed

data:
	$(PY) manage.py migrate --no-input
	$(PY) manage.py import_cog
	$(PY) manage.py setup_demo

serve:
	@echo "PVD sur http://$(HOST):$(PORT)/ — Ctrl-C pour arrêter."
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .

test-sqlite: install-dev node
	@echo "== Test suite on SQLite =="
	env -u DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: install-dev node
	@echo "== Test suite on PostgreSQL ($(PG_TEST_URL)) =="
	DATABASE_URL=$(PG_TEST_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

## bench: the benchmarks (print ratios against baselines measured in the same run)
bench: install-dev node
	$(PY) manage.py migrate --no-input >/dev/null
	$(PY) -m bench

lock:
	$(VENV)/bin/pip-compile -q --strip-extras -o requirements/base.txt requirements/base.in
	$(VENV)/bin/pip-compile -q --strip-extras -o requirements/dev.txt requirements/dev.in

clean:
	rm -rf $(VENV) node_modules var/*.sqlite3*

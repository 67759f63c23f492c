# 整改督办 (rectification tracker) — set-up and run targets.
#
#   make run     install what is missing, migrate, seed the demo data, serve
#                on http://$(HOST):$(PORT)/ (override: make run PORT=8000)
#   make test    install what is missing (incl. test deps), run pytest
#                (extra arguments: make test PYTEST_ARGS="-k login -x")
#   make setup   only the development set-up (venv, deps, translations)
#   make lint    ruff, and the layer order of tracker/services (import-linter; pyproject.toml)
#   make bench   the province-scale benchmark on PostgreSQL (benchmarks/RESULTS.md)
#   make clean   remove the virtual environment
#   make translations-update   re-extract messages and update the .po files
#
# The venv is only (re)installed when a requirements file changed since the
# last install (stamp files inside .venv), so a second `make run` is fast and
# keeps the SQLite data in instance/.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --disable-pip-version-check -q
# This machine's pip config names local mirrors that may be absent; pip warns
# about each on every install. Drop only that line; pipefail keeps pip's status.
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

FLASK_ENV_VARS := TRACKER_ENV=development FLASK_APP=wsgi

# Compile the .po catalogues to .mo (git ignores *.mo); quiet no-op when there
# are no catalogues yet.
COMPILE_TRANSLATIONS := if compgen -G 'translations/*/LC_MESSAGES/*.po' >/dev/null; then \
	$(BIN)/pybabel -q compile -d translations -f; fi

.PHONY: run test setup lint clean translations-update sysdeps-run sysdeps-test bench

# --- virtual environment -----------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Runtime dependencies only.
$(VENV)/.stamp-run: requirements.txt | $(BIN)/python
	@echo "==> pip install -r requirements.txt"
	$(PIP) -r requirements.txt $(QUIET_PIP)
	@touch $@

# Runtime + test dependencies (requirements-dev.txt includes requirements.txt).
$(VENV)/.stamp-test: requirements.txt requirements-dev.txt | $(BIN)/python
	@echo "==> pip install -r requirements-dev.txt"
	$(PIP) -r requirements-dev.txt $(QUIET_PIP)
	@touch $@ $(VENV)/.stamp-run

# --- Debian packages (fonts, poppler, chromium) ------------------------------

sysdeps-run:
	@bash scripts/install-system-deps.sh run

sysdeps-test:
	@bash scripts/install-system-deps.sh test

# --- translations ------------------------------------------------------------

# babel.cfg's patterns (tracker/**.py, templates/**.html) are relative to the
# input directory, so the input is the repo root; --ignore-dirs keeps the walk
# out of .venv/.git (".*") but, unlike babel's default (".* _*"), still enters
# templates/_macros. tests/test_i18n.py runs the same extraction.
translations-update: $(VENV)/.stamp-run
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		--ignore-dirs '.* __pycache__' -c TRANSLATORS: -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d translations

# --- main targets ------------------------------------------------------------

setup: $(VENV)/.stamp-test sysdeps-test
	@$(COMPILE_TRANSLATIONS)

run: $(VENV)/.stamp-run sysdeps-run
	@$(COMPILE_TRANSLATIONS)
	@mkdir -p instance
	$(FLASK_ENV_VARS) $(BIN)/flask db upgrade
	$(FLASK_ENV_VARS) $(BIN)/flask seed-demo --if-empty
	$(FLASK_ENV_VARS) TRACKER_SCHEDULER_IN_PROCESS=1 $(BIN)/flask run --host $(HOST) --port $(PORT)

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check tracker tests benchmarks migrations
	$(BIN)/lint-imports

test: $(VENV)/.stamp-test sysdeps-test
	@$(COMPILE_TRANSLATIONS)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Province scale on PostgreSQL: seed 300 units / 100,000 tasks / 500,000 reports
# (once; re-runs reuse them), gunicorn + the scheduler, 8 clients for 30 s, the
# table (benchmarks/run_bench.py; extra options: make bench BENCH_ARGS="--help").
# Needs root or sudo to start PostgreSQL; never part of `make test` or CI.
BENCH_ARGS ?=
bench: $(VENV)/.stamp-test sysdeps-run
	@$(COMPILE_TRANSLATIONS)
	timeout 3000 $(BIN)/python benchmarks/run_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV)

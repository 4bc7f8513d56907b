# Remit — two commands set up everything on a fresh machine:
#   make run    install, migrate, load the demo, then run the web server and the worker
#   make test   install, then every test (SQLite by default; PostgreSQL when DATABASE_URL is set)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed

.PHONY: run test install migrate demo lint typecheck bench clean lock browsers

run: install migrate demo
	$(BIN)/remit outbox deliver
	$(BIN)/remit run

test: install browsers
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/remit migrate --no-input -v 0
	$(BIN)/remit demo
	$(BIN)/pytest

install: $(STAMP)

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Remit needs Python 3.11: install it (Debian: apt-get install python3.11 python3.11-venv), or set PYTHON=/path/to/python3.11."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock file or the project's metadata changes.
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

migrate: install
	$(BIN)/remit migrate --no-input

demo: install
	$(BIN)/remit demo

browsers:
	@bash scripts/ensure-chromium

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# Regenerate the hashed lock files after editing pyproject.toml's dependencies.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 -o requirements/base.lock -q
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 -o requirements/dev.lock -q

bench: install
	$(BIN)/remit bench

clean:
	rm -rf $(VENV) var/test-remit.sqlite3* .pytest_cache .mypy_cache .ruff_cache

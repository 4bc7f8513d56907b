# Remit — two commands set up everything on a fresh machine:
#   make run    install, migrate, load the demo, then run the web server and the worker
#   make test   install, then every test (SQLite by default; PostgreSQL when DATABASE_URL is set)
# Python 3.11, 3.12 or 3.13: the newest that runs, or PYTHON=/path/to/python3.X (see scripts/venv).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install migrate demo lint typecheck bench loadtest clean lock browsers caddy

run: install migrate demo
	$(BIN)/remit outbox deliver
	$(BIN)/remit run

test: install browsers caddy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/remit migrate --no-input -v 0
	$(BIN)/remit demo
	$(BIN)/pytest

# Makes .venv (again, when PYTHON names another Python than the one it was made with) and installs
# requirements/dev.lock into it when the lock or pyproject.toml changed. PYTHON reaches it from the
# command line or the environment.
install:
	@bash scripts/venv

migrate: install
	$(BIN)/remit migrate --no-input

demo: install
	$(BIN)/remit demo

browsers:
	@bash scripts/ensure-chromium

# The reverse-proxy test puts Debian's caddy in front of `remit web` (deploy/Caddyfile).
caddy:
	@bash scripts/ensure-caddy

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

# Regenerate the hashed lock files after editing pyproject.toml's dependencies. --universal: one lock for
# every Python in requires-python (3.11–3.13), with markers where a dependency differs between them.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 -o requirements/base.lock -q
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --generate-hashes --python-version 3.11 -o requirements/dev.lock -q

bench: install
	$(BIN)/remit bench

clean:
	rm -rf $(VENV) var/test-remit.sqlite3* .pytest_cache .mypy_cache .ruff_cache

# Issue 16's load test: portal and console users against `remit web` ×2 and `remit worker` with
# production settings, on a database of its own (NAME_loadtest on DATABASE_URL's PostgreSQL server,
# dropped afterwards); prints requests/s, p50/p95/p99, errors and /healthz's p95 per step, with the goals.
# LOADTEST_ARGS: e.g. --users 20,50 --seconds 60 --web-workers 2 --web-threads 4 (remit loadtest --help).
LOADTEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/remit
loadtest: install
	DATABASE_URL="$${DATABASE_URL:-$(LOADTEST_DATABASE_URL)}" $(BIN)/remit loadtest $(LOADTEST_ARGS)

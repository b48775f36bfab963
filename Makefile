# Two commands: `make run` (set up and serve the demo) and `make test` (the whole suite).
PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= $(shell pyenv which python$(PYTHON_VERSION) 2>/dev/null || command -v python$(PYTHON_VERSION) || echo python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crm_bench

# Reminders and digests: a Celery worker with an embedded beat. Without REDIS_URL its broker
# is the file system (var/celery/), so this needs no server; see the README.
WORKER := $(BIN)/celery -A crm worker --beat --loglevel=INFO --concurrency=1 \
	--schedule=var/celerybeat-schedule --without-gossip --without-mingle --without-heartbeat

.PHONY: install run serve worker test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py seed_demo_activities --if-empty
	@mkdir -p var
	@$(WORKER) --logfile=var/celery.log & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	echo "Reminders: Celery worker and beat running, log in var/celery.log"; \
	$(MAKE) --no-print-directory serve

serve:
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker:
	@mkdir -p var
	$(WORKER)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

# Benchmarks run on PostgreSQL in their own database (they replace its data).
bench: install
	createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_DATABASE_URL)) 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_board
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_dashboard
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_reminders
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_contacts
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_imports
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_search
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_api
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_custom_fields

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache

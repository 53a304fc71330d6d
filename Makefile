# The two commands: `make run` (set up everything and serve the demo) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint migrate seed serve bench-transitions bench-api bench-overdue bench-metrics clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# The web server plus a Celery worker with embedded beat (periodic jobs), through a task folder
# under var/ (no Redis); Ctrl-C stops them all.
serve: install
	$(PY) manage.py serve_demo $(HOST):$(PORT)

run: seed serve

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

.PHONY: bench-public
bench-public: install
	$(PY) bench/public.py

.PHONY: bench-accountability
bench-accountability: install
	$(PY) bench/accountability.py

bench-transitions: install
	$(PY) bench/transitions.py

bench-api: install
	$(PY) bench/api.py

bench-overdue: install
	$(PY) bench/overdue.py

bench-metrics: install
	$(PY) bench/metrics.py

.PHONY: bench-scale
bench-scale: install
	$(PY) bench/scale.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles var

.PHONY: bench-desk
bench-desk: install
	$(PY) bench/desk.py

# Two commands: `make run` (the application with a demo department) and `make test`.
SHELL := /bin/bash
PORT ?= 8000
# Two workers: the suite takes about half as long on the 2-core machines it runs on. Tests are
# dealt out in pytest-django's order (database tests first, transactional ones last, since a
# transactional test's flush empties the tables for whatever runs after it on that worker).
PYTEST_ARGS ?= -n 2
# Listen on this machine only unless HOST says otherwise (e.g. HOST=0.0.0.0 behind a firewall).
HOST ?= 127.0.0.1
export HOST
# Under run and dev, links in patient texts and staff e-mails point at this server unless
# SITE_URL says otherwise (fixed here, once, for every process).
SERVED_AT := $(or $(SITE_URL),http://$(if $(filter 0.0.0.0 ::,$(HOST)),localhost,$(HOST)):$(PORT))
VENV := .venv
PY := $(VENV)/bin/python
# Django 6 needs Python 3.12+: take the first one found (PATH, then pyenv).
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python $$HOME/.pyenv/versions/3.12*/bin/python /root/.pyenv/versions/3.12*/bin/python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: site-url run dev not-production static install-check load test lint format bench venv deps dev-deps browser-deps dicom-deps check-services migrate seed clean node-deps messages screenshots

$(VENV)/.created:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (Django 6)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.deps: requirements.txt $(VENV)/.created
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements.txt $(VENV)/.deps
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

migrate: deps
	mkdir -p var/broker var/broker-processed var/outbox
	@$(PY) scripts/ensure_database.py
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --if-empty

## run: install, migrate, load the demo department if empty (never in production), collect
## static files, start gunicorn (WEB_CONCURRENCY workers) + Celery worker + beat
run: export DJANGO_STATIC_MANIFEST := $(or $(DJANGO_STATIC_MANIFEST),true)
run: export SITE_URL := $(SERVED_AT)
run: seed static
	@echo "Open http://$(HOST):$(PORT)/ (health: /healthz)"
	PORT=$(PORT) $(PY) scripts/supervise.py Procfile

## dev: like run, with Django's auto-reloading server and debug pages (never in production)
dev: export DJANGO_DEBUG := $(or $(DJANGO_DEBUG),true)
dev: export SITE_URL := $(SERVED_AT)
dev: not-production seed
	PORT=$(PORT) $(PY) scripts/supervise.py Procfile.dev

## site-url: the address links in messages use (SITE_URL, else http://HOST:PORT)
site-url:
	@echo $(SERVED_AT)

not-production:
	@test "$$DJANGO_ENV" != production || { echo "make dev shows debug pages: not with DJANGO_ENV=production (use make run)."; exit 1; }

static: deps
	$(PY) manage.py collectstatic --noinput --verbosity 0

## Browser tests use Debian's chromium; install it when we can (root), else they skip locally.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "Could not install chromium: browser tests will not run."; \
		else echo "Not root: install Debian's chromium to run the browser tests."; fi; fi

## node-deps: test tools from npm (package.json): axe-core for the accessibility checks, ical.js as
## an outside client of our .ics files. Required in CI; skipped with a message locally without npm.
node-deps:
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = "0" ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null) \
			|| echo "Could not install npm."; fi
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund; \
	elif [ -n "$$CI" ]; then echo "npm is required in CI (axe-core, ical.js: see package.json)"; exit 1; \
	else echo "npm not found: the accessibility and ical.js tests will skip."; fi

## messages: patient-page translations. Extract strings into locale/*/django.po (translate
## them there), then compile the .mo files, which are committed so that a machine without
## gettext serves Spanish too; a test fails when a .mo does not match its .po.
messages: dev-deps
	@command -v msgfmt >/dev/null 2>&1 || { [ "$$(id -u)" = "0" ] && apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; } \
		|| { echo "msgfmt not found: install Debian's gettext."; exit 1; }
	$(PY) manage.py makemessages --all --no-obsolete --add-location=file --ignore=.venv --ignore=node_modules --ignore=staticfiles \
		--ignore=var --ignore=tests --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

## DICOM worklist tests talk to dcmtk's findscu/wlmscpfs/dump2dcm (Debian `dcmtk`); the TLS tests
## make their certificates with the `openssl` command. Installed like chromium.
dicom-deps:
	@if ! command -v findscu >/dev/null || ! command -v wlmscpfs >/dev/null || ! command -v dump2dcm >/dev/null \
		|| ! command -v openssl >/dev/null; then \
		if [ "$$(id -u)" = "0" ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dcmtk openssl >/dev/null) \
			|| echo "Could not install dcmtk/openssl: the DICOM worklist and TLS tests will not run."; \
		else echo "Not root: install Debian's dcmtk and openssl to run the DICOM worklist and TLS tests."; fi; fi

check-services: dev-deps
	$(PY) scripts/check_services.py

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: dev-deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## test: lint, migrations up to date, the whole pytest suite
test: dev-deps browser-deps dicom-deps node-deps lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## screenshots: refresh docs/screenshots/ (the pictures the README and docs show) from the
## browser tests; `make test` writes them to the ignored test-output/screenshots/ instead.
screenshots: dev-deps browser-deps node-deps
	REFRESH_DOCS_SCREENSHOTS=1 $(VENV)/bin/pytest -p no:xdist -q tests/browser

## bench: the figures are about PostgreSQL and Redis; defaults to the local ones.
bench: export DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/galactogram)
bench: export REDIS_URL := $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
## (BENCH_ARGS=--tiny: every bench once at a tiny size, as CI runs them so that none can rot)
bench: dev-deps dicom-deps
	$(PY) scripts/check_services.py
	$(PY) bench/run_all.py $(BENCH_ARGS)

## install-check: a venv from requirements.txt alone, web + worker + beat in production mode,
## one booking over the API and its message delivered (CI runs it; needs DATABASE_URL, REDIS_URL)
## (production proves PostgreSQL + Redis; sqlite the default demo; `postgres` is the demo on both)
INSTALL_CHECK_MODES ?= production,sqlite
install-check: deps
	$(PY) scripts/install_check.py --modes $(INSTALL_CHECK_MODES)

## load: the load figure (gunicorn ×4 on PostgreSQL, 50 workstations, 5 schedulers), see bench/
load: export DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/galactogram)
load: dev-deps
	$(PY) bench/load_day_list.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles

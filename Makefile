# The two commands of the README: `make run` and `make test`. Everything they need is installed
# here, so they work on a fresh Debian machine with Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages: WeasyPrint's Pango (PDF receipts); for the tests a browser, fonts for it,
# pdftotext, and pg_dump/pg_restore (the backup test).
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
TEST_DEBS := chromium poppler-utils fonts-dejavu-core fonts-liberation2 postgresql-client
# The Nu HTML checker, from the npm registry, run with the machine's Java (tests/test_html_checker.py).
VNU_VERSION := 26.9.27
VNU_JAR := var/vnu/node_modules/vnu-jar/build/dist/vnu.jar

.PHONY: run serve backup restore test lint format system-deps test-system-deps messages worker clean vnu

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || $(MAKE) --no-print-directory debs DEBS="python3-venv"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	@touch $@

# Installs the Debian packages in DEBS that are missing (as root, or through sudo).
debs:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

system-deps:
	@$(MAKE) --no-print-directory debs DEBS="$(RUN_DEBS)"

test-system-deps:
	@$(MAKE) --no-print-directory debs DEBS="$(RUN_DEBS) $(TEST_DEBS)"

# Links, QR codes and emails point at the address `make run` serves, unless PORTAL_BASE_URL is set
# (a phone on the network needs the machine's address: PORTAL_BASE_URL=http://192.168.1.5:8000).
RUN_ENV = DEBUG=$${DEBUG:-1} PORTAL_BASE_URL=$${PORTAL_BASE_URL:-http://$(HOST):$(PORT)}

run: system-deps $(VENV)/.installed
	@mkdir -p var
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	@if [ -n "$$REDIS_URL" ]; then \
	  trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT; \
	  $(RUN_ENV) $(VENV)/bin/celery -A myphong worker -Q celery,pdf --loglevel=INFO --concurrency=2 & \
	  $(RUN_ENV) $(VENV)/bin/celery -A myphong beat --loglevel=INFO --schedule=var/celerybeat-schedule & \
	  $(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT); \
	else \
	  $(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

# Production: DEBUG off, hashed and compressed static files, JSON logs, gunicorn (gunicorn.conf.py).
# Needs SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL in the environment (README).
serve: system-deps $(VENV)/.installed
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY (and ALLOWED_HOSTS, DATABASE_URL, REDIS_URL)"; exit 1; }
	@# Several worker processes share the page cache, the lookup throttle and the task queue in Redis.
	@test -n "$$REDIS_URL" || { echo "make serve: set REDIS_URL (and DATABASE_URL)"; exit 1; }
	@mkdir -p var
	DEBUG=0 STATIC_MANIFEST=1 $(PY) manage.py migrate --noinput
	DEBUG=0 STATIC_MANIFEST=1 $(PY) manage.py collectstatic --noinput --verbosity 0
	DEBUG=0 STATIC_MANIFEST=1 LOG_FORMAT=$${LOG_FORMAT:-json} BIND=$${BIND:-$(HOST):$(PORT)} \
	  $(VENV)/bin/gunicorn --config gunicorn.conf.py

# One dated archive (database + uploaded files) under var/backups; restore one into an empty
# database and media folder: make restore ARCHIVE=var/backups/myphong-....tar.gz
backup: $(VENV)/.installed
	@command -v pg_dump >/dev/null || $(MAKE) --no-print-directory debs DEBS="postgresql-client"
	$(PY) manage.py backup

restore: $(VENV)/.installed
	@test -n "$(ARCHIVE)" || { echo "make restore ARCHIVE=path/to/archive.tar.gz"; exit 1; }
	@command -v pg_restore >/dev/null || $(MAKE) --no-print-directory debs DEBS="postgresql-client"
	$(PY) manage.py restore "$(ARCHIVE)"


# Java and npm come from Debian only when the machine has none (any Java 11+ and npm will do).
# --ignore-scripts: the package's own install script would download a Java; the machine's is used.
vnu:
	@command -v java >/dev/null || $(MAKE) --no-print-directory debs DEBS="default-jre-headless"
	@command -v npm >/dev/null || $(MAKE) --no-print-directory debs DEBS="npm"
	@if command -v npm >/dev/null && [ ! -f $(VNU_JAR) ]; then \
	  mkdir -p var/vnu && npm install --prefix var/vnu --no-audit --no-fund --ignore-scripts \
	    vnu-jar@$(VNU_VERSION); \
	fi

test: test-system-deps $(VENV)/.installed-dev vnu
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the .po files after changing strings; the compiled .mo files are committed, so a
# machine without GNU gettext still shows translations.
messages: $(VENV)/.installed-dev
	DEBUG=1 $(PY) manage.py makemessages --locale=vi --locale=en --ignore=.venv --ignore=var --no-obsolete
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var

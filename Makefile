# The README's two commands are `make run` and `make test`; both install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check test-tools check-install lock serve worker beat clean drills bench-ingest bench-instructions bench-processing bench-client-cache bench-app-tokens bench-subscriptions bench-dashboard bench-events-at-scale

# The runtime lock, with the dev tools' lock layered on top; both with hashes (see README, "Dependencies").
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

## run: install, migrate and serve on http://127.0.0.1:8000 (embedded: SQLite, local memory, in-process tasks)
run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	@echo
	@echo "  Admin user:  $(BIN)/python manage.py createsuperuser"
	@echo "  API token:   $(BIN)/python manage.py create_api_token <username>"
	@echo "  Receiver:    POST http://127.0.0.1:8000/api/v1/webhooks/github"
	@echo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## check: lint and format (ruff), imports one way with no cycles (import-linter, pyproject.toml),
## migrations match the models, production settings pass `check --deploy`
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	SECRET_KEY=test-only-not-secret $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python deploy/check_install.py deploy --python $(BIN)/python

## check-install: a fresh virtualenv from requirements.txt alone (the Dockerfile's pip line) runs
## web, worker and beat against PostgreSQL and Redis and processes a real delivery (CI runs it)
check-install:
	$(PYTHON) deploy/check_install.py $(CHECK_INSTALL_ARGS)

## lock: recompile requirements.txt and requirements-dev.txt from the .in files, keeping current
## pins unless asked (LOCK_ARGS="--upgrade-package django" or LOCK_ARGS=--upgrade)
lock: export UV_CUSTOM_COMPILE_COMMAND = make lock
lock: $(STAMP)
	$(BIN)/uv pip compile requirements.in --universal --python-version 3.11 --generate-hashes $(LOCK_ARGS) -o requirements.txt
	$(BIN)/uv pip compile requirements-dev.in --universal --python-version 3.11 --generate-hashes $(LOCK_ARGS) -o requirements-dev.txt

## test: install, check, and run the whole suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
test: check test-tools
	SECRET_KEY=$${SECRET_KEY:-test-only-not-secret} $(BIN)/python -m pytest $(PYTEST_ARGS)

## test-tools: what the tests drive besides Python, from Debian's packages (Chromium and its driver,
## promtool); installs only what is missing
test-tools:
	sh deploy/install-test-tools.sh

## serve: production-style locally: migrate, collect static files, then gunicorn + a Celery worker + beat
## (needs DATABASE_URL, REDIS_URL and SECRET_KEY; see the README)
serve: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input -v 0
	export PROMETHEUS_MULTIPROC_DIR=$${PROMETHEUS_MULTIPROC_DIR:-$(CURDIR)/prometheus-multiproc}; \
	trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker --loglevel=INFO & \
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=/tmp/ghsvc-celerybeat-schedule & \
	$(BIN)/gunicorn -c gunicorn.conf.py

## worker / beat: Celery processes for a real deployment (needs CELERY_BROKER_URL or REDIS_URL)
worker: $(STAMP)
	$(BIN)/celery -A config worker --loglevel=INFO

beat: $(STAMP)
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=/tmp/ghsvc-celerybeat-schedule

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

## drills: every fault drill, the long ones too (needs DATABASE_URL=postgres://..., REDIS_URL, redis-server)
drills: $(STAMP)
	RUN_DRILLS=1 SECRET_KEY=$${SECRET_KEY:-test-only-not-secret} $(BIN)/python -m pytest tests/drills $(PYTEST_ARGS)

## bench-ingest: receiver and cached-read benchmark under gunicorn with wrk (needs wrk, PostgreSQL, Redis)
bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest.py $(BENCH_ARGS)

## bench-instructions: instructions per request of the hot paths and their references (needs valgrind, PostgreSQL, Redis)
bench-instructions: $(STAMP)
	$(BIN)/python bench/instructions.py $(BENCH_ARGS)

## bench-processing: drain 10,000 stored events with 1 then 2 Celery workers (needs PostgreSQL, Redis)
bench-processing: $(STAMP)
	$(BIN)/python bench/processing.py $(BENCH_ARGS)

## bench-client-cache: 10,000 GitHub reads through the cache against the simulator (REDIS_URL for Redis)
bench-client-cache: $(STAMP)
	$(BIN)/python bench/client_cache.py $(BENCH_ARGS)

## bench-app-tokens: 10,000 reads as a GitHub App over 50 repositories in 5 installations, from a cold start
bench-app-tokens: $(STAMP)
	$(BIN)/python bench/app_tokens.py $(BENCH_ARGS)

## bench-dashboard: the staff dashboard's server time with 1,000,000 stored events (needs PostgreSQL)
bench-dashboard: $(STAMP)
	$(BIN)/python bench/dashboard.py $(BENCH_ARGS)

## bench-events-at-scale: the events API, the admin's big lists and retention with 1,000,000 stored
## events (BENCH_ARGS="--events 10000000" for ten million; needs PostgreSQL)
bench-events-at-scale: $(STAMP)
	$(BIN)/python bench/events_at_scale.py $(BENCH_ARGS)

## bench-subscriptions: 10,000 deliveries through gunicorn, two Celery workers and beat, fanned out to
## three local subscribers (flaky, slow, ordered); needs PostgreSQL and Redis
bench-subscriptions: $(STAMP)
	$(BIN)/python bench/subscriptions.py $(BENCH_ARGS)

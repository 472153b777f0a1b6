# Production image: gunicorn serving the Django app; the same image runs the
# Celery worker and beat (see compose.yaml). Not buildable on the CI machine
# (no Docker engine there); kept small and conventional.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus-multiproc \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000

WORKDIR /app
# The lock (every package pinned, with hashes). deploy/check_install.py runs this same
# `pip install` line in a fresh virtualenv in CI: keep it on one line.
COPY requirements.txt .
RUN pip install --require-hashes -r requirements.txt

COPY . .
# collectstatic needs settings but no database or real secret.
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --no-input -v 0 \
    && useradd --system --uid 10001 --home-dir /app app \
    && chown -R app /app

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"

# Migrations run once per release (compose's `migrate` service), not per container start.
CMD ["gunicorn", "-c", "gunicorn.conf.py"]

"""
Settings for the GitHub integration service.

With no environment at all the service runs embedded: SQLite in the project
folder, the local-memory cache and in-process event processing, DEBUG on.
Setting DATABASE_URL / REDIS_URL / CELERY_BROKER_URL switches each part to the
real service. Every knob is an environment variable, parsed by django-environ.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# "Embedded" means nobody configured a real database: the bare-machine mode.
EMBEDDED = not env.str("DATABASE_URL", default="")

DEBUG = env.bool("DEBUG", default=EMBEDDED)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set SECRET_KEY in the environment).")
    # Development only: DEBUG is on, so this key never protects real data.
    SECRET_KEY = "django-insecure-embedded-development-key-not-for-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin, led by the staff dashboard (dashboard/sites.py).
    "dashboard.apps.ServiceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "coherence",
    "rollups",
    "accounts",
    "webhooks",
    "ratelimits",
    # Before githubfeatures: an event's state handlers are registered (and run) ahead of
    # githubfeatures' cache invalidation, as when both lived in one app.
    "repositories",
    "githubfeatures",
    "installations",
    "subscriptions",
    "dashboard",
]

MIDDLEWARE = [
    "config.middleware.InvalidContentLengthMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database -------------------------------------------------------------
# django-prometheus wraps the backends so queries and errors are counted.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    )
}
_DB_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
DATABASES["default"]["ENGINE"] = _DB_ENGINES.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if "postgresql" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"].setdefault("OPTIONS", {})
    # Fail fast when PostgreSQL is unreachable instead of hanging a worker.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
else:
    # SQLite (embedded): take the write lock when a transaction starts and wait
    # for it, instead of failing with "database is locked" under concurrency;
    # WAL lets readers proceed while one process writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL;")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="ghsvc"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SERIALIZER": "config.cache_serializers.JSONSerializer",
                # Redis down must degrade to "uncached", never to a 500.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "ghsvc.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache",
            "LOCATION": "ghsvc",
        }
    }

# --- Auth, i18n, static ---------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the finders in development so collectstatic is optional.
WHITENOISE_USE_FINDERS = DEBUG

# --- Security (production behind a TLS-terminating proxy) -----------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("SECURE_PROXY_SSL", default=False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Health and metrics are probed over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Django REST Framework ------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# Per-process caches (configs, API tokens) reload when their generation changes
# (coherence/generations.py). The shared cache's copy of a generation lives this
# long: the bound on staleness only when Redis failed while a change was made.
COHERENCE_SHARED_TTL_SECONDS = env.int("COHERENCE_SHARED_TTL_SECONDS", default=10)

SPECTACULAR_SETTINGS = {
    "TITLE": "GitHub integration service",
    "DESCRIPTION": (
        "Receives GitHub webhooks, turns them into repository state and answers "
        "GitHub reads through one rate-limit-aware, cached client."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its pages are for staff, like the API they describe.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
    "SERVE_AUTHENTICATION": [
        "accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.strip_optional_trailing_slash",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventStatusEnum": "webhooks.models.WebhookEvent.Status",
        "DeliveryStatusEnum": "webhooks.outcomes.DeliveryOutcome",
    },
}

# --- Webhooks ---------------------------------------------------------------
GITHUB_WEBHOOK_SECRET = env.str("GITHUB_WEBHOOK_SECRET", default="")
# GitHub caps payloads at 25 MB; a real push can be far above Django's 2.5 MB default.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=25 * 1024 * 1024)
WEBHOOK_MAX_JSON_DEPTH = env.int("WEBHOOK_MAX_JSON_DEPTH", default=64)
# How long a rotated-out secret keeps being accepted when none is given.
WEBHOOK_SECRET_ROTATION_GRACE_SECONDS = env.int("WEBHOOK_SECRET_ROTATION_GRACE_SECONDS", default=24 * 3600)
WEBHOOK_EVENT_RETENTION_DAYS = env.int("WEBHOOK_EVENT_RETENTION_DAYS", default=90)
# Events deleted per transaction by prune_events where a whole day cannot be dropped: SQLite, and
# on PostgreSQL the table from before partition_events (README, "Stored events at scale").
WEBHOOK_PRUNE_BATCH_SIZE = env.int("WEBHOOK_PRUNE_BATCH_SIZE", default=5000)
# How long a delivery id is remembered, so a second copy is answered "duplicate": longer than
# GitHub lets a delivery be redelivered (3 days).
WEBHOOK_DELIVERY_DEDUP_DAYS = env.int("WEBHOOK_DELIVERY_DEDUP_DAYS", default=7)
# Day partitions of webhook_events made ahead of time (PostgreSQL), by prune_events every hour.
WEBHOOK_EVENT_PARTITIONS_AHEAD_DAYS = env.int("WEBHOOK_EVENT_PARTITIONS_AHEAD_DAYS", default=7)
WEBHOOK_PROCESSING_MAX_ATTEMPTS = env.int("WEBHOOK_PROCESSING_MAX_ATTEMPTS", default=5)
WEBHOOK_PROCESSING_RETRY_BACKOFF = env.int("WEBHOOK_PROCESSING_RETRY_BACKOFF", default=2)
WEBHOOK_PROCESSING_RETRY_BACKOFF_MAX = env.int("WEBHOOK_PROCESSING_RETRY_BACKOFF_MAX", default=600)
# An event "processing" for longer than this is considered abandoned (dead worker).
WEBHOOK_PROCESSING_TIMEOUT_SECONDS = env.int("WEBHOOK_PROCESSING_TIMEOUT_SECONDS", default=300)
# A pending event younger than this is left to the task already enqueued for it.
WEBHOOK_SWEEP_MIN_AGE_SECONDS = env.int("WEBHOOK_SWEEP_MIN_AGE_SECONDS", default=60)
# Ids per Celery task when the receiver's relay or the sweep enqueues events,
# and how long the relay gathers ids after the first one before publishing them.
WEBHOOK_ENQUEUE_BATCH_SIZE = env.int("WEBHOOK_ENQUEUE_BATCH_SIZE", default=50)
WEBHOOK_RELAY_GATHER_SECONDS = env.float("WEBHOOK_RELAY_GATHER_SECONDS", default=0.2)
# The hourly redelivery task looks this far back (GitHub keeps deliveries 3 days).
WEBHOOK_REDELIVER_LOOKBACK_HOURS = env.int("WEBHOOK_REDELIVER_LOOKBACK_HOURS", default=24)

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# No broker configured: run tasks in-process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup otherwise opens a new database connection for every
# task (~4 ms on PostgreSQL); config/celery.py applies CONN_MAX_AGE and health
# checks around each task instead, as Django does around each request.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=10000)
# The receiver publishes on the request path: a dead broker must cost it at
# most a second or so, the row stays pending and the sweep picks it up.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Publishing to a dead broker fails at once instead of retrying for seconds.
    "max_retries": 0,
    "socket_connect_timeout": 1.0,
    "socket_timeout": 2.0,
    # acks_late tasks survive a worker crash; redelivered after this many seconds.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-events": {
        "task": "webhooks.tasks.sweep_pending_events",
        "schedule": env.int("WEBHOOK_SWEEP_INTERVAL_SECONDS", default=60),
    },
    "prune-events": {
        "task": "webhooks.tasks.prune_events",
        "schedule": 3600.0,
    },
    "redeliver-failed-deliveries": {
        "task": "webhooks.tasks.redeliver_failed_deliveries",
        "schedule": 3600.0,
    },
    "track-rate-limits": {
        "task": "ratelimits.tasks.track_rate_limits",
        "schedule": 300.0,
    },
    "prune-rollups": {
        "task": "rollups.tasks.prune_rollups",
        "schedule": 3600.0,
    },
    "send-due-messages": {
        "task": "subscriptions.tasks.send_due_messages",
        "schedule": env.float("SUBSCRIPTION_SWEEP_INTERVAL_SECONDS", default=10.0),
    },
}

# --- Rollups: the dashboard's per-minute and per-hour counts (rollups/) ------------------------
# Seconds a process keeps its counts in memory before writing them (0: at once, as the tests do).
ROLLUP_FLUSH_SECONDS = env.float("ROLLUP_FLUSH_SECONDS", default=5.0)
# Days of hour buckets kept (the dashboard's longest window is 7 days); minute buckets are kept 2 days.
ROLLUP_RETENTION_DAYS = env.int("ROLLUP_RETENTION_DAYS", default=8)

# --- Subscriptions (issue 15): processed events pushed to the team's endpoints ---------------
SUBSCRIPTION_TIMEOUT_SECONDS = env.float("SUBSCRIPTION_TIMEOUT_SECONDS", default=15.0)
# Seconds before each attempt (the first is attempt 1); Svix's schedule: 8 attempts over ~27 hours.
SUBSCRIPTION_RETRY_SCHEDULE = [
    float(seconds)
    for seconds in env.list(
        "SUBSCRIPTION_RETRY_SCHEDULE", default=["0", "5", "300", "1800", "7200", "18000", "36000", "36000"]
    )
]
# Up to this fraction is added to each retry delay, so failed messages do not all come back at once.
SUBSCRIPTION_RETRY_JITTER = env.float("SUBSCRIPTION_RETRY_JITTER", default=0.1)
# A Retry-After (429/503) is honoured up to this many seconds.
SUBSCRIPTION_RETRY_AFTER_MAX_SECONDS = env.float("SUBSCRIPTION_RETRY_AFTER_MAX_SECONDS", default=3600.0)
SUBSCRIPTION_DISABLE_AFTER_HOURS = env.float("SUBSCRIPTION_DISABLE_AFTER_HOURS", default=120.0)
# CIDRs a subscription URL may resolve into besides public addresses (loopback, private networks...).
SUBSCRIPTION_ALLOWED_NETWORKS = env.list("SUBSCRIPTION_ALLOWED_NETWORKS", default=[])
SUBSCRIPTION_USER_AGENT = env.str("SUBSCRIPTION_USER_AGENT", default="ghsvc-subscriptions/1.0")
# django-fernet-encrypted-fields: the salt of the key it derives from SECRET_KEY (and its
# fallbacks). Not a secret; changing it makes stored subscription secrets unreadable.
SALT_KEY = ["ghsvc-encrypted-fields"]

# --- GitHub API client --------------------------------------------------------
GITHUB_API_URL = env.str("GITHUB_API_URL", default="https://api.github.com")
GITHUB_TOKEN = env.str("GITHUB_TOKEN", default="")
# GitHub App (issue 14): setting GITHUB_APP_ID turns App mode on. The key is PEM text (literal \n
# accepted) or a file; it is never logged or shown.
GITHUB_APP_ID = env.str("GITHUB_APP_ID", default="")
GITHUB_APP_PRIVATE_KEY = env.str("GITHUB_APP_PRIVATE_KEY", default="")
GITHUB_APP_PRIVATE_KEY_FILE = env.str("GITHUB_APP_PRIVATE_KEY_FILE", default="")
GITHUB_APP_WEBHOOK_SECRET = env.str("GITHUB_APP_WEBHOOK_SECRET", default="")
GITHUB_USER_AGENT = env.str("GITHUB_USER_AGENT", default="ghsvc-github-client/1.0")
# (connect, read) seconds; GitHub itself gives up on a request after 10 s.
GITHUB_CONNECT_TIMEOUT = env.float("GITHUB_CONNECT_TIMEOUT", default=3.05)
GITHUB_READ_TIMEOUT = env.float("GITHUB_READ_TIMEOUT", default=15.0)
GITHUB_POOL_SIZE = env.int("GITHUB_POOL_SIZE", default=10)
# Connection errors and 500/502/503/504: attempts in all, exponential backoff with jitter.
GITHUB_RETRY_ATTEMPTS = env.int("GITHUB_RETRY_ATTEMPTS", default=4)
GITHUB_RETRY_BACKOFF_INITIAL = env.float("GITHUB_RETRY_BACKOFF_INITIAL", default=0.5)
GITHUB_RETRY_BACKOFF_MAX = env.float("GITHUB_RETRY_BACKOFF_MAX", default=8.0)
GITHUB_RETRY_JITTER = env.float("GITHUB_RETRY_JITTER", default=0.5)
GITHUB_RETRY_MAX_TOTAL_WAIT = env.float("GITHUB_RETRY_MAX_TOTAL_WAIT", default=20.0)
# Rate limits: wait for a reset / retry-after only when it is at most this far away.
GITHUB_MAX_RATE_LIMIT_WAIT = env.int("GITHUB_MAX_RATE_LIMIT_WAIT", default=60)
GITHUB_RATE_LIMIT_MAX_RETRIES = env.int("GITHUB_RATE_LIMIT_MAX_RETRIES", default=3)
# GitHub: without retry-after, wait at least a minute after a secondary limit.
GITHUB_SECONDARY_RATE_LIMIT_MIN_WAIT = env.int("GITHUB_SECONDARY_RATE_LIMIT_MIN_WAIT", default=60)
# Mutating requests: one at a time per token, at least this many seconds apart.
GITHUB_MUTATION_MIN_INTERVAL = env.float("GITHUB_MUTATION_MIN_INTERVAL", default=1.0)
GITHUB_MUTATION_LOCK_TIMEOUT = env.float("GITHUB_MUTATION_LOCK_TIMEOUT", default=60.0)
# Cache TTLs (seconds) per resource; after a TTL the entry is revalidated with its ETag.
GITHUB_CACHE_TTL_INFO = env.int("GITHUB_CACHE_TTL_INFO", default=300)
GITHUB_CACHE_TTL_PULLS = env.int("GITHUB_CACHE_TTL_PULLS", default=60)
GITHUB_CACHE_TTL_ISSUES = env.int("GITHUB_CACHE_TTL_ISSUES", default=60)
GITHUB_CACHE_TTL_LABELS = env.int("GITHUB_CACHE_TTL_LABELS", default=300)
GITHUB_CACHE_TTL_WORKFLOWS = env.int("GITHUB_CACHE_TTL_WORKFLOWS", default=300)
GITHUB_CACHE_TTL_DEFAULT = env.int("GITHUB_CACHE_TTL_DEFAULT", default=60)
# Expired entries are kept this long for revalidation and for stale answers.
GITHUB_CACHE_STALE_TTL = env.int("GITHUB_CACHE_STALE_TTL", default=7 * 24 * 3600)
# After a cache (Redis) failure, work uncached for this long before trying it again.
GITHUB_CACHE_RETRY_SECONDS = env.float("GITHUB_CACHE_RETRY_SECONDS", default=30.0)
# Rate-limit tracking: a history row per token and resource at most this often.
# Where the client keeps rate-limit state: shared by every process, with history rows (not an
# environment variable: the wiring of the github package to this service's ratelimits app).
GITHUB_RATE_LIMIT_STORE = "ratelimits.store.RateLimitStore"
# Who the client is per call: the App's installation of the repository in App mode, else GITHUB_TOKEN.
GITHUB_CREDENTIALS = "installations.credentials.service_credentials"
GITHUB_RATE_LIMIT_HISTORY_INTERVAL = env.int("GITHUB_RATE_LIMIT_HISTORY_INTERVAL", default=300)
# /rate-limits/status refreshes from GET /rate_limit when the latest state is older.
GITHUB_RATE_LIMIT_STATUS_MAX_AGE = env.int("GITHUB_RATE_LIMIT_STATUS_MAX_AGE", default=60)
# /rate-limits/health: "degraded" below this remaining/limit ratio, for these resources.
GITHUB_RATE_LIMIT_HEALTH_THRESHOLD = env.float("GITHUB_RATE_LIMIT_HEALTH_THRESHOLD", default=0.1)
GITHUB_RATE_LIMIT_HEALTH_RESOURCES = env.list("GITHUB_RATE_LIMIT_HEALTH_RESOURCES", default=["core"])

# --- Metrics ------------------------------------------------------------------
# No "<name>_created" series next to every counter: they double the scrape.
os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "True")
# Set (with a shared, emptied-at-start folder) to sum metrics over gunicorn
# workers and Celery processes; gunicorn.conf.py sets it up.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR:
    # Any process (manage.py, celery) writes its metric files there.
    os.makedirs(PROMETHEUS_MULTIPROC_DIR, exist_ok=True)
# When set, /metrics needs "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        },
    },
    "filters": {"request_id": {"()": "config.observability.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}

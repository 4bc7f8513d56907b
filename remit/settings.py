"""Remit's one settings module. Every value that differs between machines comes from the
environment (documented in README.md, "Configuration"); nothing secret lives in git."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from remit.lib.allowlist import parse_allowlist
from remit.lib.email_url import parse_email_url
from remit.lib.env import (
    ConfigurationError,
    env_bool,
    env_int,
    env_list,
    env_rate,
    env_str,
    generated_secret,
    new_encryption_key,
    new_secret_key,
    parse_encryption_keys,
)
from remit.lib.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

REMIT_ENV = env_str("REMIT_ENV", "development").lower()
if REMIT_ENV not in {"development", "production"}:
    raise ConfigurationError(f"REMIT_ENV must be development or production (got {REMIT_ENV!r}).")
PRODUCTION = REMIT_ENV == "production"
DEBUG = env_bool("REMIT_DEBUG", default=not PRODUCTION)

DATA_DIR = Path(env_str("REMIT_DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = generated_secret(name="SECRET_KEY", data_dir=DATA_DIR, production=PRODUCTION, make=new_secret_key)
REMIT_ENCRYPTION_KEYS = parse_encryption_keys(
    generated_secret(name="REMIT_ENCRYPTION_KEYS", data_dir=DATA_DIR, production=PRODUCTION, make=new_encryption_key)
)

# --- Addresses -------------------------------------------------------------------------------
REMIT_BASE_URL = env_str("REMIT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_base = urlsplit(REMIT_BASE_URL)
if _base.scheme not in {"http", "https"} or not _base.hostname:
    raise ConfigurationError(f"REMIT_BASE_URL must be an http(s) address (got {REMIT_BASE_URL!r}).")
if PRODUCTION and _base.scheme != "https":
    raise ConfigurationError("REMIT_BASE_URL must start with https:// when REMIT_ENV=production.")

# The hosts Remit itself answers on. Billers' own domains are added at request time by
# remit.site.middleware.HostRoutingMiddleware, which is why Django's own check is opened wide.
REMIT_HOSTS = sorted(
    {host.lower() for host in env_list("ALLOWED_HOSTS")}
    | {_base.hostname.lower()}
    | (set() if PRODUCTION else {"localhost", "127.0.0.1", "[::1]", "testserver"})
)
ALLOWED_HOSTS = ["*"]

# --- Applications ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files for /api/v1/docs, served by Remit (no CDN)
    "remit.site",
    "remit.files",
    "remit.users",
    "remit.billers",
    "remit.notifications",
    "remit.customers",
    "remit.invoices",
    "remit.payments",
    "remit.recurring",
    "remit.autopay",
    "remit.reminders",
    "remit.statements",
    "remit.ach",
    "remit.bank",
    "remit.api",
    "remit.webhooks",
    "remit.console",
    "remit.portal",
    "remit.bench",
]

MIDDLEWARE = [
    "remit.site.middleware.RequestIdMiddleware",  # first: the request id is in every log line after it
    "remit.site.middleware.HostRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "remit.site.middleware.ContentSecurityPolicyMiddleware",
    "remit.site.sessions.ScopedSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "remit.urls"
WSGI_APPLICATION = "remit.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database --------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'remit.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("REMIT_DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, which avoids the "database is locked" deadlock
        # between two writers upgrading at once; writers wait up to 20 s for each other. The
        # rollback journal, not WAL: with WAL, processes and threads sharing the file (the web
        # server, the worker, the test suite's live server) were seen to end in "disk I/O error".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA foreign_keys=ON;",
    }
    # A file, not memory: the test suite starts real worker processes that share the database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-remit.sqlite3")}
else:
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("REMIT_DB_CONNECT_TIMEOUT", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and passwords ----------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["remit.users.backends.ConsoleBackend", "remit.users.backends.PortalBackend"]
# Argon2id at OWASP's minimum (remit/users/hashers.py); hashes made before (other Argon2 parameters,
# PBKDF2) still verify and are rewritten at the next sign-in.
PASSWORD_HASHERS = [
    "remit.users.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:signin"
# The e-mail address is the login, unique per audience (console, or one biller's portal)
# rather than globally; see remit/users/models.py. Django's deployment checks of settings Remit derives
# from REMIT_ENV, REMIT_SSL_REDIRECT, REMIT_HSTS_SECONDS and REMIT_DEBUG are said by Remit's own
# (remit/site/checks.py), naming those variables instead.
SILENCED_SYSTEM_CHECKS = [
    "auth.W004",
    "security.W004",  # SECURE_HSTS_SECONDS: remit.W001, remit.W012
    "security.W008",  # SECURE_SSL_REDIRECT: remit.W001, remit.W011
    "security.W010",  # SESSION_COOKIE_SECURE: remit.W001 (always on in production)
    "security.W012",  # SESSION_COOKIE_SECURE: the same
    "security.W016",  # CSRF_COOKIE_SECURE: remit.W001 (always on in production)
    "security.W018",  # DEBUG: remit.W001, remit.W013
]

SESSION_COOKIE_NAME = "remit_session"  # the console's; each portal has its own (remit/site/sessions.py)
SESSION_COOKIE_AGE = env_int("REMIT_SESSION_SECONDS", 60 * 60 * 12)
REMIT_PORTAL_SESSION_SECONDS = env_int("REMIT_PORTAL_SESSION_SECONDS", 60 * 60 * 2)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # remit/site/sessions.py relies on it
CSRF_COOKIE_HTTPONLY = True

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("REMIT_TIME_ZONE", "America/New_York")
USE_I18N = False
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # filled by `remit collectstatic` for production
STATIC_ROOT.mkdir(exist_ok=True)
# The file store (docs/architecture.md, "What lives where"). REMIT_FILE_STORE=database (the default)
# keeps files in the database, needing no other server; =s3 in an S3-compatible bucket: REMIT_S3_BUCKET,
# and REMIT_S3_ENDPOINT_URL for a server other than Amazon's, REMIT_S3_REGION, REMIT_S3_ACCESS_KEY_ID and
# REMIT_S3_SECRET_ACCESS_KEY (unset: boto3's own AWS_* variables or the machine's role), REMIT_S3_PREFIX
# (a folder in the bucket), REMIT_S3_ADDRESSING_STYLE (path or virtual). Either way every file is sealed
# with REMIT_ENCRYPTION_KEYS (remit/files/sealing.py): the database or the bucket holds no plaintext.
REMIT_FILE_STORE = env_str("REMIT_FILE_STORE", "database").lower()


def file_store_settings() -> dict[str, object]:
    """The sealed store (``remit.files.storage.SealedStorage``) around the store REMIT_FILE_STORE names."""
    return {"BACKEND": "remit.files.storage.SealedStorage", "OPTIONS": unsealed_store_settings()}


def unsealed_store_settings() -> dict[str, object]:
    if REMIT_FILE_STORE == "database":
        return {"backend": "remit.files.storage.DatabaseStorage"}
    if REMIT_FILE_STORE != "s3":
        raise ConfigurationError(f"REMIT_FILE_STORE must be database or s3 (got {REMIT_FILE_STORE!r}).")
    bucket = env_str("REMIT_S3_BUCKET")
    if not bucket:
        raise ConfigurationError(
            "REMIT_FILE_STORE=s3 needs REMIT_S3_BUCKET: the name of the bucket Remit keeps its files in "
            "(and REMIT_S3_ENDPOINT_URL for an S3-compatible server other than Amazon's)."
        )
    style = env_str("REMIT_S3_ADDRESSING_STYLE").lower()
    if style not in {"", "path", "virtual"}:
        raise ConfigurationError(f"REMIT_S3_ADDRESSING_STYLE must be path or virtual (got {style!r}).")
    given = {
        "endpoint_url": env_str("REMIT_S3_ENDPOINT_URL"),
        "region_name": env_str("REMIT_S3_REGION"),
        "access_key": env_str("REMIT_S3_ACCESS_KEY_ID"),
        "secret_key": env_str("REMIT_S3_SECRET_ACCESS_KEY"),
        "location": env_str("REMIT_S3_PREFIX").strip("/"),
        "addressing_style": style,
    }
    options: dict[str, object] = {"bucket_name": bucket, "file_overwrite": True, "default_acl": None}
    options |= {name: value for name, value in given.items() if value}
    return {"backend": "storages.backends.s3.S3Storage", "options": options}


# A local folder that receives a copy of each NACHA file after its export commits, for an operator's own
# tools (unset: none). Remit itself reads the files from the store only.
REMIT_ACH_OUTBOUND_DIR = env_str("REMIT_ACH_OUTBOUND_DIR")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Every file a second instance may need (NACHA files, the bank's files): storages["files"], in
    # the database or an S3-compatible bucket (REMIT_FILE_STORE above; remit/files/store.py).
    "files": file_store_settings(),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email --------------------------------------------------------------------------------------
# Django's own mail API writes into the outbox table (same transaction as the change that
# caused it); the worker delivers from there through REMIT_EMAIL_TRANSPORT.
EMAIL_BACKEND = "remit.notifications.backend.OutboxBackend"
EMAIL_URL = env_str("EMAIL_URL") or f"file://{DATA_DIR / 'mail'}"
REMIT_EMAIL_TRANSPORT = parse_email_url(EMAIL_URL, base_dir=BASE_DIR)
DEFAULT_FROM_EMAIL = env_str("REMIT_FROM_EMAIL", f"Remit <no-reply@{_base.hostname}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
REMIT_EMAIL_MAX_ATTEMPTS = env_int("REMIT_EMAIL_MAX_ATTEMPTS", 20)

# --- Background work (Celery) -----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# The cache is shared by every process (web workers, the worker): the API's rate limits count there.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "remit",
            # Short timeouts: when Redis is away, an API request loses at most this much before the
            # rate limiter lets it through (api/throttling.py), instead of hanging.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(DATA_DIR / "cache")}
    )
}
CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 5} if REDIS_URL else {}
CELERY_TASK_DEFAULT_QUEUE = env_str("REMIT_QUEUE", "remit")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_TASK_ALWAYS_EAGER = env_bool("REMIT_TASKS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "deliver-due-emails": {
        "task": "remit.notifications.tasks.deliver_due_emails",
        "schedule": float(env_int("REMIT_OUTBOX_SWEEP_SECONDS", 30)),
    },
}
CELERY_BEAT_SCHEDULE["autopay-sweep"] = {
    "task": "remit.autopay.tasks.autopay_sweep",
    "schedule": float(env_int("REMIT_AUTOPAY_SWEEP_SECONDS", 3600)),
}
CELERY_BEAT_SCHEDULE["monthly-statements"] = {
    "task": "remit.statements.tasks.monthly_statements_due",
    "schedule": float(env_int("REMIT_STATEMENTS_CHECK_SECONDS", 3600)),
}
CELERY_BEAT_SCHEDULE["ach-export-due"] = {
    "task": "remit.ach.tasks.ach_export_due",
    "schedule": float(env_int("REMIT_ACH_EXPORT_CHECK_SECONDS", 300)),
}
CELERY_BEAT_SCHEDULE["ach-settle-due"] = {
    "task": "remit.ach.tasks.ach_settle_due",
    "schedule": float(env_int("REMIT_ACH_SETTLE_SECONDS", 3600)),
}
CELERY_BEAT_SCHEDULE["ach-return-rates"] = {
    "task": "remit.ach.tasks.ach_return_rates_check",
    "schedule": float(env_int("REMIT_RETURN_RATES_SECONDS", 3600)),
}
CELERY_BEAT_SCHEDULE["deliver-due-webhooks"] = {
    "task": "remit.webhooks.tasks.deliver_due_webhooks",
    "schedule": float(env_int("REMIT_WEBHOOK_SWEEP_SECONDS", 30)),
}
CELERY_BEAT_SCHEDULE["reminders-round"] = {
    "task": "remit.reminders.tasks.reminders_round",
    "schedule": float(env_int("REMIT_REMINDERS_SECONDS", 3600)),
}
# The demo's simulated bank (`remit bank-sim --sftp`, started by `remit run` in development).
REMIT_BANK_SIM_PORT = env_int("REMIT_BANK_SIM_PORT", 2222)
CELERY_BEAT_SCHEDULE["bank-sync-due"] = {
    "task": "remit.bank.tasks.bank_sync_due",
    "schedule": float(env_int("REMIT_BANK_SYNC_SECONDS", 60)),
}
CELERY_BEAT_SCHEDULE["recurring-issue-due"] = {
    "task": "remit.recurring.tasks.recurring_issue_due_all",
    "schedule": float(env_int("REMIT_RECURRING_SECONDS", 900)),
}
# The worker's heartbeat (site/heartbeat.py): /healthz answers 503 once a worker has been silent longer
# than REMIT_WORKER_SILENT_SECONDS (0: never).
CELERY_BEAT_SCHEDULE["worker-heartbeat"] = {
    "task": "remit.site.tasks.worker_heartbeat",
    "schedule": float(env_int("REMIT_HEARTBEAT_SECONDS", 60)),
}
REMIT_WORKER_SILENT_SECONDS = env_int("REMIT_WORKER_SILENT_SECONDS", 600)
# One schedule per installation: a beat runs it only while it holds the schedule lock (site/beat.py),
# its state in memory (no schedule file on one machine's disk);
# another beat asks for the lock again every REMIT_BEAT_RETRY_SECONDS and takes over when it is free.
CELERY_BEAT_SCHEDULER = "remit.site.beat:LeaderScheduler"
REMIT_BEAT_RETRY_SECONDS = env_int("REMIT_BEAT_RETRY_SECONDS", 5)

# --- Security -----------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("REMIT_SSL_REDIRECT", default=True)
    # Monitors, and Caddy's on-demand TLS question (site/tls.py), ask an instance directly over HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/live$", r"^metrics$", r"^internal/tls-allowed$"]
    SECURE_HSTS_SECONDS = env_int("REMIT_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("REMIT_BEHIND_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [REMIT_BASE_URL]
# Behind a reverse proxy, the client's address is the last one the proxy appended to X-Forwarded-For.
REMIT_TRUST_X_FORWARDED_FOR = env_bool("REMIT_TRUST_X_FORWARDED_FOR", default=PRODUCTION)
# Private or loopback webhook addresses the operator opens in production (networks, addresses, host
# names; see lib/allowlist.py and docs/webhooks.md). Everything else not public stays refused.
REMIT_WEBHOOK_ALLOW = parse_allowlist(env_str("REMIT_WEBHOOK_ALLOW"), name="REMIT_WEBHOOK_ALLOW")

# --- Metrics ----------------------------------------------------------------------------------
# GET /metrics (Prometheus) with `Authorization: Bearer <token>`; unset: /metrics answers 404.
REMIT_METRICS_TOKEN = env_str("REMIT_METRICS_TOKEN")

# --- API --------------------------------------------------------------------------------------
# Requests per API key, in the shared cache: "600/min", "20/s", "10000/hour", "100000/day".
REMIT_API_RATE = env_rate("REMIT_API_RATE", "600/min")
REST_FRAMEWORK = {
    # JSON only (no browsable HTML API); every endpoint needs a biller's key unless it says otherwise.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["remit.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["remit.api.authentication.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["remit.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "remit.api.pagination.NewestFirst",
    "EXCEPTION_HANDLER": "remit.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "remit.api.schema.RemitAutoSchema",
    "URL_FORMAT_OVERRIDE": None,  # the Accept header chooses JSON or PDF; `?format=` is no parameter of ours
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Remit API",
    "VERSION": "1",
    "DESCRIPTION": (
        "Customers, invoices, payments and ACH files of one business, reached with that business's API key. "
        "Amounts are integer cents (`*_cents`), dates ISO 8601. Lists are newest first, a page at a time: "
        "follow `next`. Errors are RFC 9457 problem documents (`application/problem+json`). "
        "A walk-through with curl: docs/api.md."
    ),
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "remit.ledger.status.InvoiceStatus",
        "PaymentStatusEnum": "remit.payments.models.PaymentStatus",
        "BankAccountStatusEnum": "remit.payments.models.BankAccountStatus",
        "PaymentSwitchEnum": "remit.payments.models.Switch",
        "TermsEnum": "remit.ledger.models.TERMS_CHOICES",
        "RecurringTermsEnum": "remit.recurring.models.TERMS_CHOICES",
    },
}

# --- Logging ------------------------------------------------------------------------------------
# Plain text for development; REMIT_LOG_FORMAT=json writes one JSON object per line (remit/lib/logs.py),
# each with the request id of the request or task that caused it.
REMIT_LOG_FORMAT = env_str("REMIT_LOG_FORMAT", "plain").lower()
if REMIT_LOG_FORMAT not in {"plain", "json"}:
    raise ConfigurationError(f"REMIT_LOG_FORMAT must be plain or json (got {REMIT_LOG_FORMAT!r}).")
LOGGING = logging_config(fmt=REMIT_LOG_FORMAT, level=env_str("REMIT_LOG_LEVEL", "INFO").upper())

"""One settings module, configured from the environment (see the README's table).

Defaults are for local use: SQLite in the checkout, DEBUG on, no Redis. Production sets
DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-key-not-for-production-use-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "teams",
    "contacts",
    "pipeline",
    "leads",
    "reporting",
    "activities",
    "webhooks",
    "notes",
    "imports",
    "search",
    "api",
    "customfields",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "axes",
    # django-ninja: the API's interactive docs (Swagger UI) from its own static files.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "crm.middleware.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "teams.middleware.UserTimezoneMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # In production WhiteNoise serves the collected static files; runserver does it locally.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "crm.urls"

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

WSGI_APPLICATION = "crm.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the board be read while a move is written; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file rather than shared-cache memory: concurrent tests (two connections racing for
    # one deal, a Celery worker process) then see real SQLite locking with its busy timeout.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}

# Covering indexes (INCLUDE) speed up PostgreSQL; SQLite, the embedded default, builds the
# same indexes without the extra columns, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "teams.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed logins for one username
# from one address, that pair is locked out for LOGIN_LOCKOUT_MINUTES; other people at that
# address, and that user elsewhere, are not. A successful login starts the count again. An
# admin unlocks early in Django admin (Access attempts) or with `manage.py axes_reset`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "teams.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "crm.http.client_ip"
# How many proxies in front of the app append the client's address to X-Forwarded-For; the
# address the nearest of them saw is the client's. 0: REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = int(
    os.environ.get("TRUSTED_PROXY_COUNT", "1" if env_bool("BEHIND_TLS_PROXY", False) else "0")
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Deals carry their own currency code; this is the one new deals and reports start from.
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "USD")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Third-party front-end code is installed by npm (package.json) and served from node_modules.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
]
# Uploaded files (notes.Attachment) go to the default storage: a local folder unless
# FILE_STORAGE names another Django storage backend, with FILE_STORAGE_OPTIONS (JSON) as its
# options (e.g. S3 from django-storages). They are only ever served through the download view,
# which checks who may see them, so MEDIA_URL is never routed.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
FILE_STORAGE = os.environ.get("FILE_STORAGE", "django.core.files.storage.FileSystemStorage")
FILE_STORAGE_OPTIONS: dict[str, Any] = (
    json.loads(os.environ["FILE_STORAGE_OPTIONS"])
    if os.environ.get("FILE_STORAGE_OPTIONS")
    else {"location": str(MEDIA_ROOT)}
    if FILE_STORAGE.endswith("FileSystemStorage")
    else {}
)
# The largest file a user may attach (bytes); the web server in front must accept a little
# more (nginx: client_max_body_size).
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# CSV imports (imports/): the largest file an admin may upload (bytes), and how many rows
# are committed at a time (the progress the page shows moves by one chunk).
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
IMPORT_CHUNK_ROWS = int(os.environ.get("IMPORT_CHUNK_ROWS", "500"))
STORAGES = {
    "default": {"BACKEND": FILE_STORAGE, "OPTIONS": FILE_STORAGE_OPTIONS},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy: scripts, styles and everything else only from this site, so
# injected markup can run nothing. The templates hold no inline script, no on*= or style=
# attribute and no htmx expression that needs eval (static/js, static/css). Bootstrap's CSS
# draws its icons from data: URIs; JavaScript may still change styles through the CSSOM.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

EMAIL_BACKEND_PATH = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS: dict[str, dict[str, Any]] = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        # A hung SMTP server must not hold a reminder's row lock past the task's time limit.
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", "20")),
    }
elif EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "file_path": os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CRM <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in reminder and digest e-mails start with this.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Celery. With REDIS_URL, Redis is the broker. Without it (make run) the broker is kombu's
# file-system transport: messages are files under var/celery/, so a worker and beat need no
# server. Either way the database, not the broker, knows which reminders are due: a lost
# message only delays a reminder until the next dispatch after the claim lease.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any]
CELERY_QUEUE_DIR = Path(os.environ.get("CELERY_QUEUE_DIR", str(BASE_DIR / "var" / "celery")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task taken but not acknowledged within this time is given to another worker.
        # Set explicitly, and above the task time limits, so a slow task is never run twice
        # because the broker thought its worker dead.
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "1800")),
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        # How often an idle worker lists the folder (seconds); the default of 1 s would also
        # delay every task of a batch by up to a second.
        "polling_interval": 0.2,
    }
# The cache: Redis when REDIS_URL is set (shared by every process), local memory otherwise.
# It holds the API's request counts (API_RATE_LIMIT).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# REST API (/api/v1/): requests per token per minute; 0 turns the limit off.
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "600"))

CELERY_TIMEZONE = "UTC"
# One queue for everything; tests give each worker they start a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran; a worker that dies mid-task gives it back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Both well below the visibility timeout.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "240"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "300"))

# Reminders and digests: beat asks for a dispatch this often (seconds); a claimed reminder or
# digest that is not sent within the lease (a lost message, a killed worker) is claimed again.
REMINDER_DISPATCH_SECONDS = float(os.environ.get("REMINDER_DISPATCH_SECONDS", "60"))
REMINDER_LEASE_SECONDS = int(os.environ.get("REMINDER_LEASE_SECONDS", "600"))
# Webhooks (see webhooks/services.py and the README): beat fans out recorded events and queues
# due deliveries this often (seconds; every write also asks for a dispatch when it commits).
# A delivery claimed by a worker and not finished within the lease is sent again, with the
# same delivery id. Targets on private, loopback or link-local addresses are refused unless
# WEBHOOKS_ALLOW_PRIVATE_TARGETS is on (a receiver inside your own network).
WEBHOOK_DISPATCH_SECONDS = float(os.environ.get("WEBHOOK_DISPATCH_SECONDS", "5"))
WEBHOOK_LEASE_SECONDS = int(os.environ.get("WEBHOOK_LEASE_SECONDS", "120"))
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
# Seconds to wait before each retry of a failed delivery (a jitter of +-10% is added); the
# delivery is given up when the last one fails too.
WEBHOOK_RETRY_DELAYS = [
    float(delay) for delay in env_list("WEBHOOK_RETRY_DELAYS", "60,300,1800,7200,43200")
]
# Deliveries given up in a row (no success between them) before a webhook is disabled.
WEBHOOK_DISABLE_AFTER = int(os.environ.get("WEBHOOK_DISABLE_AFTER", "5"))

# Imports: one task works on a job for at most IMPORT_TASK_SECONDS, then queues the rest
# (well below the task time limits). A job whose worker stopped showing life for
# IMPORT_LEASE_SECONDS (killed, lost message) is taken up again by the next dispatch, which
# beat runs every IMPORT_DISPATCH_SECONDS.
IMPORT_TASK_SECONDS = float(os.environ.get("IMPORT_TASK_SECONDS", "60"))
IMPORT_LEASE_SECONDS = int(os.environ.get("IMPORT_LEASE_SECONDS", "120"))
IMPORT_DISPATCH_SECONDS = float(os.environ.get("IMPORT_DISPATCH_SECONDS", "60"))

# Dispatches that pile up while no worker runs expire (one finds everything due), but not so
# soon that a busy worker drops them all.
_DISPATCH_EXPIRES = max(5 * REMINDER_DISPATCH_SECONDS, 60)
LEAD_RESCORE_SECONDS = float(os.environ.get("LEAD_RESCORE_SECONDS", "3600"))
CELERY_BEAT_SCHEDULE = {
    "dispatch-reminders": {
        "task": "activities.tasks.dispatch_reminders",
        "schedule": REMINDER_DISPATCH_SECONDS,
        "options": {"expires": _DISPATCH_EXPIRES},
    },
    "dispatch-digests": {
        "task": "activities.tasks.dispatch_digests",
        "schedule": REMINDER_DISPATCH_SECONDS,
        "options": {"expires": _DISPATCH_EXPIRES},
    },
    # Lead scores count activities of the last 14 days and read organizations and contacts
    # that change elsewhere: open leads are rescored this often (seconds).
    "rescore-leads": {
        "task": "leads.tasks.rescore_leads",
        "schedule": LEAD_RESCORE_SECONDS,
        "options": {"expires": LEAD_RESCORE_SECONDS},
    },
    "dispatch-webhooks": {
        "task": "webhooks.tasks.dispatch_webhooks",
        "schedule": WEBHOOK_DISPATCH_SECONDS,
        "options": {"expires": max(5 * WEBHOOK_DISPATCH_SECONDS, 30)},
    },
    "dispatch-imports": {
        "task": "imports.tasks.dispatch_imports",
        "schedule": IMPORT_DISPATCH_SECONDS,
        "options": {"expires": max(5 * IMPORT_DISPATCH_SECONDS, 60)},
    },
}
if not (
    CELERY_TASK_SOFT_TIME_LIMIT
    < CELERY_TASK_TIME_LIMIT
    < CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", float("inf"))
):
    raise ImproperlyConfigured(
        "Celery's soft time limit must be below its time limit, and both below the broker's "
        "visibility timeout, or the broker would hand a running task to a second worker."
    )

if not IMPORT_TASK_SECONDS < CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "IMPORT_TASK_SECONDS must be below CELERY_TASK_SOFT_TIME_LIMIT: an import task stops "
        "between chunks and queues the rest before Celery would interrupt it."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

"""Settings for the Mỹ Phong one-stop portal.

One module, read from environment variables (every one is documented in README.md and
.env.example). With no variables at all the portal runs on an embedded SQLite file under var/ and
runs Celery tasks in-process, so `make run` works on a machine with neither PostgreSQL nor Redis.
"""

import importlib.util
import ipaddress
import os
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = "pytest" in sys.modules
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Development (`make run` sets DEBUG=1) and tests only; a deployment sets SECRET_KEY.
    SECRET_KEY = "insecure-dev-key-for-development-only"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "myphong",
    "procedures",
    "dossiers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "myphong.language.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses an oversized body by its Content-Length, before Django reads it.
    "myphong.middleware.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "myphong.middleware.StaffSessionMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "myphong.urls"
WSGI_APPLICATION = "myphong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "myphong.context_processors.site",
            ],
        },
    },
]

# --- Database: DATABASE_URL (PostgreSQL in production and CI), else SQLite under var/.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# A pool of connections per web process (Django's psycopg pool) instead of one kept by each
# thread: gunicorn's threads (gunicorn.conf.py sets 32 and a pool of 16) can then outnumber
# PostgreSQL's connections, and a lookup sleeping out its padding hands its connection back
# first (dossiers.lookup.guard). 0: no pool, a connection per thread for DB_CONN_MAX_AGE.
DB_POOL_MAX_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE") or 0)
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, cache and rate-limit store when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "myphong.rediscache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "myphong"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL) or "memory://"
# No broker configured: run tasks in-process, so the portal works without Redis.
CELERY_TASK_ALWAYS_EAGER = not (os.environ.get("CELERY_BROKER_URL") or REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
# Durable work: a task is acknowledged only once done, so a worker lost mid-task (kill -9, a
# machine gone) leaves it in Redis, which hands it to another worker after the visibility
# timeout. Every task is idempotent (unique rows), so running one twice does nothing more.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# No task result is ever read: no result backend, nothing stored.
CELERY_TASK_IGNORE_RESULT = True
# A task stuck on a hung SMTP server or a pathological PDF is interrupted, then retried.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "300"))
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# Two queues: "pdf" for the follow-ups of dossier events (slip PDFs, then the applicant's
# messages), "celery" for the rest (reminders, sweeps), so a burst of receipts never delays a
# reminder. A worker started without -Q consumes both; a busy office runs one worker per queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("pdf"))
CELERY_TASK_ROUTES = {
    "dossiers.tasks.process_event": {"queue": "pdf"},
    "dossiers.tasks.fan_out": {"queue": "pdf"},
    "dossiers.tasks.retry_missing_follow_ups": {"queue": "pdf"},
}
# An unreachable broker host must not hold a citizen's request: fail fast, retry later. A task
# not acknowledged within the visibility timeout (its worker was lost) is delivered again; it
# must be longer than the longest retry countdown (30 min) and than the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    # How often a worker looks for such tasks (kombu's default is every 100 s at best).
    "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_INTERVAL", "60")),
    "unacked_restore_throttle": 1,
}

# --- Reminders to officers (dossiers/reminders.py): the morning digest on working days, and a
# check every REMINDER_CHECK_MINUTES for dossiers that just became overdue or reached the last
# working day to issue Form 04.
REMINDER_DIGEST_TIME = os.environ.get("REMINDER_DIGEST_TIME", "07:30")
try:
    _digest_hour, _digest_minute = (int(part) for part in REMINDER_DIGEST_TIME.split(":"))
    if not (0 <= _digest_hour < 24 and 0 <= _digest_minute < 60):
        raise ValueError
except ValueError as exc:
    raise ImproperlyConfigured("REMINDER_DIGEST_TIME must look like 07:30") from exc
REMINDER_CHECK_MINUTES = float(os.environ.get("REMINDER_CHECK_MINUTES", "15"))
REMINDER_DUE_SOON_WORKING_DAYS = float(os.environ.get("REMINDER_DUE_SOON_WORKING_DAYS", "1"))
REMINDER_RETURN_AFTER_WORKING_DAYS = int(os.environ.get("REMINDER_RETURN_AFTER_WORKING_DAYS", "3"))
REMINDER_OVERDUE_LOOKBACK_HOURS = float(os.environ.get("REMINDER_OVERDUE_LOOKBACK_HOURS", "48"))
REMINDER_DIGEST_ROLES = env_list("REMINDER_DIGEST_ROLES", "Specialist,Leader,Clerk")
REMINDER_OVERDUE_ROLES = env_list("REMINDER_OVERDUE_ROLES", "Specialist,Leader")
REMINDER_EMAIL = env_bool("REMINDER_EMAIL", True)
if not set(REMINDER_DIGEST_ROLES + REMINDER_OVERDUE_ROLES) <= {"Specialist", "Leader", "Clerk"}:
    raise ImproperlyConfigured("REMINDER_*_ROLES take Specialist, Leader and Clerk")

CELERY_BEAT_SCHEDULE = {
    # Slips and messages whose first try was lost (broker down, worker lost, retries run out).
    "dossiers: retry missing follow-ups": {
        "task": "dossiers.tasks.retry_missing_follow_ups",
        "schedule": float(os.environ.get("FOLLOW_UP_CATCH_UP_SECONDS", "600")),
    },
    # The officers' morning digest; the task itself skips days off of the working calendar.
    "dossiers: morning digest": {
        "task": "dossiers.tasks.send_morning_digests",
        "schedule": crontab(hour=_digest_hour, minute=_digest_minute),
    },
    # Dossiers that just became overdue, or reached the last day for Form 04.
    "dossiers: overdue check": {
        "task": "dossiers.tasks.check_overdue",
        "schedule": REMINDER_CHECK_MINUTES * 60,
    },
    # Files of online forms that were never submitted.
    "dossiers: sweep pending uploads": {
        "task": "dossiers.tasks.sweep_pending_uploads",
        "schedule": 3600.0,
    },
    # Last month's report to each agency's leaders, on the first working day of the month.
    "dossiers: monthly report": {
        "task": "dossiers.tasks.send_monthly_reports",
        "schedule": crontab(hour=7, minute=0),
    },
    # Uploaded files no row references (a request died between the file and its row).
    "dossiers: sweep orphan files": {
        "task": "dossiers.tasks.sweep_orphan_files",
        "schedule": 24 * 3600.0,
    },
    # The statistics' monthly sums: fold the rows of differences each action added (the sums
    # are exact either way; folding keeps the rows a report reads few).
    "dossiers: fold statistics sums": {
        "task": "dossiers.tasks.compact_statistics",
        "schedule": 600.0,
    },
    # Failed public lookups older than 90 days.
    "dossiers: forget old lookup attempts": {
        "task": "dossiers.tasks.forget_old_lookup_attempts",
        "schedule": 24 * 3600.0,
    },
}

# --- Auth
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend reading the user, profile, agency and roles in one query (myphong/roles.py).
    "myphong.roles.PortalBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
# Locked per (username, address): a stranger's wrong passwords lock neither the account
# everywhere nor everyone behind a shared address (a commune's Wi-Fi, a carrier's NAT).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_CLIENT_IP_CALLABLE = "myphong.throttle.axes_client_ip"
# Over a longer time, failures for one username from anywhere slow its logins down (never lock).
LOGIN_SLOW_AFTER = int(os.environ.get("LOGIN_SLOW_AFTER", "10"))
LOGIN_SLOW_SECONDS = float(os.environ.get("LOGIN_SLOW_SECONDS", "3"))
LOGIN_SLOW_HOURS = float(os.environ.get("LOGIN_SLOW_HOURS", "24"))
# Accounts' mail (confirmation, password reset): one per address per interval on every path;
# registrations, resends and resets from one client address per hour.
ACCOUNT_MAIL_INTERVAL_MINUTES = int(os.environ.get("ACCOUNT_MAIL_INTERVAL_MINUTES", "5"))
ACCOUNT_LIMIT_PER_HOUR = int(os.environ.get("ACCOUNT_LIMIT_PER_HOUR", "10"))

# --- The client's address (myphong/throttle.py): X-Forwarded-For is read only from these
# reverse proxies (addresses or networks); without them REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an address") from None

# --- Language and time: Vietnamese first, English second; Vietnam's clock.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
CELERY_TIMEZONE = TIME_ZONE
LANGUAGE_COOKIE_NAME = "ngon_ngu"
# The switch is remembered for a year (the browser's own language is never used: middleware.py).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
FORMAT_MODULE_PATH = ["myphong.formats"]

# --- Static and uploaded files. Uploads live under var/media, outside any public URL: personal
# files are served only by views that check who is asking.
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # A deployment runs collectstatic and sets STATIC_MANIFEST=1 for hashed, compressed files.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collected, hashed files (development, tests) WhiteNoise serves from the app folders.
WHITENOISE_USE_FINDERS = not env_bool("STATIC_MANIFEST")
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The fields of a form besides its files; also the whole body of an anonymous request
# (myphong/middleware.py). A logged-in user's body may reach REQUEST_BODY_MAX_MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(float(os.environ.get("DATA_UPLOAD_MAX_MB", "2")) * 1024 * 1024)
REQUEST_BODY_MAX_MB = int(os.environ.get("REQUEST_BODY_MAX_MB", "60"))
# Per citizen: files kept for forms not sent yet, and dossiers sent online per day.
PENDING_UPLOADS_MAX_MB = int(os.environ.get("PENDING_UPLOADS_MAX_MB", "100"))
DOSSIERS_PER_DAY = int(os.environ.get("DOSSIERS_PER_DAY", "10"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email: console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
# Only for EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or None
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Một cửa xã Mỹ Phong <motcua@example.invalid>"
)

# --- The office itself (shown in the header and footer, printed on forms).
PORTAL_AGENCY_NAME = os.environ.get("PORTAL_AGENCY_NAME", "UBND xã Mỹ Phong")
PORTAL_HOTLINE = os.environ.get("PORTAL_HOTLINE", "0236 3xxx xxx")
# The one-stop unit (Decree 118/2025: each commune's Trung tâm Phục vụ hành chính công, named by
# the commune), printed on forms, pages and emails.
PORTAL_ONE_STOP_NAME = os.environ.get(
    "PORTAL_ONE_STOP_NAME", "Trung tâm Phục vụ hành chính công xã Mỹ Phong"
)
PORTAL_ADDRESS = os.environ.get("PORTAL_ADDRESS", "Bộ phận Một cửa, UBND xã Mỹ Phong")
PORTAL_EMAIL = os.environ.get("PORTAL_EMAIL", "motcua@example.invalid")
# Where citizens reach the portal: QR codes on receipts and links in emails point here.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Form slips (dossiers/receipts.py): A5 as Circular 01/2018 prints them; A4 if printers want.
SLIP_PAGE_SIZE = os.environ.get("SLIP_PAGE_SIZE", "A5").upper()
if SLIP_PAGE_SIZE not in {"A5", "A4"}:
    raise ImproperlyConfigured("SLIP_PAGE_SIZE must be 'A5' or 'A4'")

# --- Text messages: a dotted path to a backend with send(phone, text); the default only logs.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "dossiers.notifications.LoggingSmsBackend")

# --- HTTPS (README, "Production"): HTTPS=1 turns on the redirect, secure cookies and HSTS; behind
# a reverse proxy (TRUSTED_PROXIES) the proxy's X-Forwarded-Proto tells Django the scheme.
HTTPS = env_bool("HTTPS", False) and not DEBUG
if not DEBUG:
    SESSION_COOKIE_SECURE = HTTPS or env_bool("SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
    if TRUSTED_PROXIES:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The health check answers the load balancer over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Database sessions, read by a query compiled once (myphong/sessions.py).
SESSION_ENGINE = "myphong.sessions"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Staff sessions (myphong/middleware.py) end when the browser closes — a counter's computer is
# shared — and after STAFF_SESSION_HOURS, a working day.
STAFF_SESSION_HOURS = float(os.environ.get("STAFF_SESSION_HOURS", "9"))

# --- Content-Security-Policy (django-csp): only the portal's own files run or style a page; no
# inline script or style anywhere (templates use static/css and static/js).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        # The receipt page shows the slip PDF in a frame of the same origin.
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every render at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Deadlines (dossiers/deadlines.py). Decree 61/2018 art. 17(1)(c), as recalled: the time spent
# before a supplement request counts toward the limit, so the clock pauses while the applicant
# supplements ("pause"); some laws restart it from zero ("restart"). A procedure of the catalogue
# may override this (Procedure.supplement_rule).
DEADLINE_SUPPLEMENT_RULE = os.environ.get("DEADLINE_SUPPLEMENT_RULE", "pause")
if DEADLINE_SUPPLEMENT_RULE not in {"restart", "pause"}:
    raise ImproperlyConfigured("DEADLINE_SUPPLEMENT_RULE must be 'restart' or 'pause'")

# --- Public lookup of dossiers and feedback (dossiers/lookup.py). Every answer to a lookup takes
# at least LOOKUP_MIN_SECONDS, so its timing does not tell which codes exist. Failures are counted
# per IP address and per code in the cache (Redis in production): from LOOKUP_SLOW_AFTER failures
# within LOOKUP_LOCK_MINUTES each answer waits LOOKUP_SLOW_SECONDS more; at LOOKUP_MAX_FAILURES
# lookups are refused for LOOKUP_LOCK_MINUTES. The same per-IP count limits feedback submissions.
# A successful lookup lets the browser see that dossier for LOOKUP_GRANT_MINUTES.
LOOKUP_MIN_SECONDS = float(os.environ.get("LOOKUP_MIN_SECONDS", "0.4"))
LOOKUP_SLOW_AFTER = int(os.environ.get("LOOKUP_SLOW_AFTER", "5"))
LOOKUP_SLOW_SECONDS = float(os.environ.get("LOOKUP_SLOW_SECONDS", "2"))
LOOKUP_MAX_FAILURES = int(os.environ.get("LOOKUP_MAX_FAILURES", "10"))
LOOKUP_LOCK_MINUTES = int(os.environ.get("LOOKUP_LOCK_MINUTES", "15"))
LOOKUP_GRANT_MINUTES = int(os.environ.get("LOOKUP_GRANT_MINUTES", "30"))

# --- Serving in production (issue 14): health checks, page cache, logs, storage, replica.
# /readyz fails when the last Celery worker heartbeat is older than this, or the disk under
# VAR_DIR has less free space than this.
READYZ_WORKER_MAX_AGE = int(os.environ.get("READYZ_WORKER_MAX_AGE", "60"))
READYZ_MIN_FREE_MB = int(os.environ.get("READYZ_MIN_FREE_MB", "500"))
# Public pages for anonymous visitors (myphong/pagecache.py) are kept this long at most; any
# change to the catalogue or the working calendar drops them at once.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "600"))
# The back office's work queues and leaders' statistics (dossiers/workcache.py) are kept this
# long at most; any change to a dossier of the agency drops them at once.
WORK_CACHE_SECONDS = int(os.environ.get("WORK_CACHE_SECONDS", "60"))
# "json": one JSON line per request and per Celery task (myphong/logging.py); "text" otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'")
if LOG_FORMAT == "json":
    LOGGING["formatters"] = {"json": {"()": "myphong.logging.JsonFormatter"}}
    LOGGING["handlers"]["console"]["formatter"] = "json"
    MIDDLEWARE.insert(0, "myphong.logging.RequestLogMiddleware")
# Where `make backup` writes its archives.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))

# Uploaded files on S3-compatible storage (django-storages) instead of MEDIA_ROOT: for several
# web nodes and workers on different machines. Credentials come from AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, which boto3 reads from the environment itself.
S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    if importlib.util.find_spec("boto3") is None:
        raise ImproperlyConfigured("S3_BUCKET needs boto3: pip install boto3")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            # Personal files: private objects, reached only through the portal's views.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Reports read from a PostgreSQL replica (myphong/routers.py), when one is given.
REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["myphong.routers.ReportsOnReplica"]

"""Settings for the Mỹ Phong one-stop portal.

One module, read from environment variables (every one is documented in README.md and
.env.example). With no variables at all the portal runs on an embedded SQLite file under var/ and
runs Celery tasks in-process, so `make run` works on a machine with neither PostgreSQL nor Redis.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

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
    "myphong",
    "procedures",
    "dossiers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, cache and rate-limit store when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
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
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unreachable broker host must not hold a citizen's request: fail fast, retry later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 5}
CELERY_BEAT_SCHEDULE = {
    # Slips and messages whose first try was lost (broker down, worker lost, retries run out).
    "dossiers: retry missing follow-ups": {
        "task": "dossiers.tasks.retry_missing_follow_ups",
        "schedule": 600.0,
    },
    # Files of online forms that were never submitted.
    "dossiers: sweep pending uploads": {
        "task": "dossiers.tasks.sweep_pending_uploads",
        "schedule": 3600.0,
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
    "django.contrib.auth.backends.ModelBackend",
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
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# --- Language and time: Vietnamese first, English second; Vietnam's clock.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
CELERY_TIMEZONE = TIME_ZONE
LANGUAGE_COOKIE_NAME = "ngon_ngu"
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
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

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

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

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

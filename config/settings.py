"""Settings for motcua. Every value comes from an environment variable with a safe local default.

Local default: a SQLite file, no Redis (Celery runs tasks eagerly), DEBUG on.
Production: set DATABASE_URL (PostgreSQL), REDIS_URL, SECRET_KEY, DEBUG=false, ALLOWED_HOSTS.
"""

from datetime import time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "procedures",
    "digitization",
    "inspections",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "api.middleware.RequestEdgeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "DATABASE_JIT", False
):
    # Short OLTP queries pay tens of milliseconds of JIT compilation and gain nothing.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a competing writer instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "motcua"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = env("TIME_ZONE", "Asia/Ho_Chi_Minh")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Publishing fails fast when the broker is down, so a request never hangs on it: what it queued
# is in the outbox (procedures.Notice) and the periodic job sends it once the broker is back.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "max_retries": 1}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # workers wait for the broker at start

# --- Users and authentication ---------------------------------------------------------------
AUTH_USER_MODEL = "procedures.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Language, time zone, office hours ------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", "vi")
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_TZ = True


def _clock(name: str, default: str) -> time:
    raw = env(name, default)
    try:
        return time.fromisoformat(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a time such as 17:00, got {raw!r}") from exc


# A dossier accepted after OFFICE_CLOSES_AT counts as accepted on the next working day, and
# every deadline falls at OFFICE_CLOSES_AT of its working day.
OFFICE_CLOSES_AT = _clock("OFFICE_CLOSES_AT", "17:00")
# The years the working-day calendar is prepared for up front; dates outside extend it lazily.
WORKING_CALENDAR_FIRST_YEAR = env_int("WORKING_CALENDAR_FIRST_YEAR", 2015)

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # The standard parsers with every value cleaned (NFC, no NUL, bounded depth): api/input.py
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "api.parsers.MultiPartParser",
        "api.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    # Proxies in front of the application: client addresses for the public throttles are read
    # from X-Forwarded-For only that deep, so a client cannot forge its own address.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "motcua API",
    "DESCRIPTION": (
        "Dossiers of administrative procedures through the 5-step electronic process: intake "
        "and digitization, appraisal, approval, digital signing, return of result. Errors have "
        'one shape: {"error": {"code", "message", "fields"}}; messages are in Vietnamese, or '
        "English with Accept-Language: en."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "procedures.models.DossierState",
        "InspectionStateEnum": "inspections.models.InspectionState",
        "InspectionKindEnum": "inspections.models.InspectionKind",
        "BreachKindEnum": "inspections.models.BreachKind",
    },
}

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Largest digitized file accepted, in bytes (default 20 MB).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
# Largest request body other than a file upload (JSON, forms), refused from its Content-Length
# before it is read; and how deep a JSON body may nest (api/middleware.py, api/input.py).
API_BODY_MAX_BYTES = env_int("API_BODY_MAX_BYTES", 1024 * 1024)
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32)

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "motcua@localhost")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # seconds; a notice being sent holds its row lock

# --- Metrics and the citizens' public endpoints (digitization) -------------------------------


def _numbers(name: str, defaults: dict[str, str], *, zero: bool) -> dict[str, str]:
    """`name=value` pairs, comma separated, overriding some of `defaults` (e.g. "online=60")."""
    values = dict(defaults)
    for item in env_list(name, []):
        key, _sep, raw = (part.strip() for part in item.partition("="))
        try:
            number = float(raw)
            valid = key in defaults and (0 if zero else 1e-9) <= number < float("inf")
        except ValueError:
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"{name}: {item!r} must be one of {', '.join(defaults)} = a number "
                + (">= 0" if zero else "> 0")
            )
        values[key] = raw
    return values


# Full marks for each indicator from this rate (%) up; 100 means linear.
METRICS_THRESHOLDS = _numbers(
    "METRICS_THRESHOLDS",
    {
        "on_time": "100",
        "online": "50",
        "e_result": "100",
        "digitization": "80",
        "reuse": "80",
        "satisfaction": "90",
    },
    zero=False,
)
# Weight of each indicator in the 0-100 score.
METRICS_WEIGHTS = _numbers(
    "METRICS_WEIGHTS",
    {
        "on_time": "20",
        "online": "12",
        "e_result": "7",
        "digitization": "8",
        "reuse": "7",
        "satisfaction": "18",
    },
    zero=True,
)
# An incremental metrics run also re-reads dossiers changed this long before the previous run's
# end, so that changes committed late by slow transactions are not missed.
METRICS_CHANGES_OVERLAP_SECONDS = env_int("METRICS_CHANGES_OVERLAP_SECONDS", 600)
# How long a period's counts stay cached (until the next metrics run at the latest); 0 = never.
METRICS_CACHE_SECONDS = env_int("METRICS_CACHE_SECONDS", 300)
# Citizens' dossier look-ups and ratings (no login): per client address and per dossier code.
PUBLIC_LOOKUP_RATE_PER_CLIENT = env("PUBLIC_LOOKUP_RATE_PER_CLIENT", "20/min")
PUBLIC_LOOKUP_RATE_PER_DOSSIER = env("PUBLIC_LOOKUP_RATE_PER_DOSSIER", "30/hour")

# --- Security in production -----------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

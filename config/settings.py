"""Settings for motcua. Every value comes from an environment variable with a safe local default.

Local default: a SQLite file, no Redis (Celery runs tasks eagerly), DEBUG on.
Production: set DATABASE_URL (PostgreSQL), REDIS_URL, SECRET_KEY, DEBUG=false, ALLOWED_HOSTS.
"""

import json
from datetime import time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env, env_bool, env_float, env_int, env_list
from config.formats.vi import formats as vi_formats

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
    "accounts",
    "digitization",
    "inspections",
    "backups",
    "documents",
    "desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "api.middleware.RequestEdgeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "desk.language.DeskLanguageMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The hot paths' fixed statements (core.rows.prepared_cursor) are prepared once per
    # connection; Django's own cursors bind on the client and never prepare. None: never.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a competing writer instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# Read replicas (PostgreSQL streaming replicas of DATABASE_URL), comma-separated: aliases
# replica1, replica2, ... The router (config/routers.py) sends the leaders' and inspectors' heavy
# reads to one of them and everything else to the primary; none set → nothing changes.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", [])
# A replica whose replay is further behind than this many seconds is not read from (primary).
DATABASE_REPLICA_MAX_LAG = env_float("DATABASE_REPLICA_MAX_LAG", 5.0)
# How long a process trusts its last lag (or unreachable) reading of a replica, in seconds.
DATABASE_REPLICA_CHECK_SECONDS = env_float("DATABASE_REPLICA_CHECK_SECONDS", 2.0)
# Seconds to wait for a replica to accept a connection before reading from the primary instead.
DATABASE_REPLICA_CONNECT_TIMEOUT = env_int("DATABASE_REPLICA_CONNECT_TIMEOUT", 2)
DATABASE_REPLICAS = []
for _number, _url in enumerate(DATABASE_REPLICA_URLS, 1):
    _replica = dj_database_url.parse(
        _url,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=DATABASES["default"]["CONN_HEALTH_CHECKS"],
    )
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or (
        _replica["ENGINE"] != "django.db.backends.postgresql"
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS needs PostgreSQL, for DATABASE_URL and every replica."
        )
    _replica["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        **_replica.get("OPTIONS", {}),
        "connect_timeout": DATABASE_REPLICA_CONNECT_TIMEOUT,
    }
    # Tests: no database is created on a replica; it reads the test database the primary
    # streams to it (the alias keeps its host and port, and takes the test database's name).
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica{_number}")
# Behind PgBouncer in transaction pooling, a server connection serves another client after each
# transaction: no server-side cursors (.iterator() outside a transaction), no prepared
# statements, no session settings sent at connection (PgBouncer refuses the `options` startup
# parameter: set jit and timezone on the role instead, see README "Deployment").
DATABASE_PGBOUNCER = env_bool("DATABASE_PGBOUNCER", False)
if DATABASE_PGBOUNCER:
    for _database in DATABASES.values():
        if _database["ENGINE"] == "django.db.backends.postgresql":
            _database["DISABLE_SERVER_SIDE_CURSORS"] = True
            _database.setdefault("OPTIONS", {}).pop("options", None)
            _database["OPTIONS"]["prepare_threshold"] = None
if DATABASE_REPLICAS:
    DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
    # Which database each request reads from, decided once its user is known.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "config.routers.ReplicaRoutingMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------------------------
# REDIS_URL sets both; CACHE_URL and BROKER_URL set each one apart (e.g. two Redis instances).
REDIS_URL = env("REDIS_URL", "")
CACHE_URL = env("CACHE_URL", REDIS_URL)
BROKER_URL = env("BROKER_URL", REDIS_URL)
if CACHE_URL:
    CACHES = {
        "default": {
            # Degrades to per-process memory while Redis is unreachable (config/cache.py).
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "motcua"),
            # An unreachable Redis costs a request at most this long, then is skipped for 5 s.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not BROKER_URL
# `make run` (manage.py serve_demo) sets TASK_QUEUE_DIR: without a broker, the web process queues
# tasks as files in that folder (kombu's filesystem transport) for the demo's worker and beat.
TASK_QUEUE_DIR = "" if BROKER_URL else env("TASK_QUEUE_DIR", "")
if TASK_QUEUE_DIR:
    _queue = Path(TASK_QUEUE_DIR).resolve()
    for _folder in ("queue", "processed"):
        (_queue / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_TASK_ALWAYS_EAGER = False
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
# A message taken by a worker that died or lost the broker before acknowledging it (acks are
# late) is delivered again after this many seconds. Longer than any task runs; retries waiting
# longer than this are left to the periodic job instead of the broker (procedures.tasks).
BROKER_VISIBILITY_TIMEOUT = env_int("BROKER_VISIBILITY_TIMEOUT", 900)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "max_retries": 1,
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
}
if BROKER_URL.startswith("redis://"):
    # kombu's Redis transport with a channel that survives the broker going away (config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
if TASK_QUEUE_DIR:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "queue"),
        "data_folder_out": str(_queue / "queue"),
        "processed_folder": str(_queue / "processed"),
        "control_folder": str(_queue / "control"),  # not ./control in the working directory
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # workers wait for the broker at start
# Several kinds of workers (README "Deployment"): with CELERY_SPLIT_QUEUES the notices (email,
# waiting on the SMTP server) and the batch jobs (metrics refresh, deadline flags: long database
# work) go to queues of their own, each served by the workers started with `-Q` for it; anything
# else stays on the default queue `celery`. Off: one queue, every worker runs everything.
CELERY_SPLIT_QUEUES = env_bool("CELERY_SPLIT_QUEUES", False)
if CELERY_SPLIT_QUEUES:
    CELERY_TASK_ROUTES = {
        "procedures.tasks.send_notice": {"queue": "notices"},
        "procedures.tasks.send_new_notices": {"queue": "notices"},
        "procedures.tasks.send_pending_notices": {"queue": "notices"},
        "digitization.tasks.refresh_metrics": {"queue": "batch"},
        "digitization.tasks.refresh_accountability": {"queue": "batch"},
        "procedures.tasks.flag_overdue_dossiers": {"queue": "batch"},
        "procedures.tasks.flag_due_soon": {"queue": "batch"},
    }

# --- Users and authentication ---------------------------------------------------------------
AUTH_USER_MODEL = "procedures.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff sign in on the desk's Vietnamese login page, which returns them to the page they asked for
# (the dashboard, a file); the admin keeps its own login.
LOGIN_URL = "desk:login"
# An API token is refused this long after it was issued (POST /api/v1/auth/token/ gives a new one).
API_TOKEN_LIFETIME_HOURS = env_int("API_TOKEN_LIFETIME_HOURS", 12)
# Sign-in lock-outs (API token and admin): so many failures within LOGIN_LOCK_MINUTES lock the
# account, or the client address, for LOGIN_LOCK_MINUTES (accounts/services.py).
LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
LOGIN_LOCK_MINUTES = env_int("LOGIN_LOCK_MINUTES", 15)

# --- Language, time zone, office hours ------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", "vi")
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# The project's catalogue first, then the hand-kept one for the packages' untranslated strings.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "packages"]
USE_I18N = True
# Dates as dd/mm/yyyy (and dd/mm/yyyy HH:MM) in forms and the admin, in Vietnamese and English;
# the same formats where no language is active. The API keeps ISO 8601.
FORMAT_MODULE_PATH = ["config.formats"]
DATE_INPUT_FORMATS = vi_formats.DATE_INPUT_FORMATS
DATETIME_INPUT_FORMATS = vi_formats.DATETIME_INPUT_FORMATS
DATE_FORMAT = vi_formats.DATE_FORMAT
DATETIME_FORMAT = vi_formats.DATETIME_FORMAT
SHORT_DATE_FORMAT = vi_formats.SHORT_DATE_FORMAT
SHORT_DATETIME_FORMAT = vi_formats.SHORT_DATETIME_FORMAT
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
        "api.authentication.ExpiringTokenAuthentication",
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
# `python manage.py backup` writes its archives here (database and uploaded files together).
BACKUP_DIR = Path(env("BACKUP_DIR", str(BASE_DIR / "backup-archives")))
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


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def _json_list(name: str, default: list) -> list:
    raw = env(name, "")
    if not raw:
        return default
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a JSON list: {error}") from None
    if not isinstance(value, list) or not value:
        raise ImproperlyConfigured(f"{name} must be a non-empty JSON list.")
    return value


# Decision 766's indicators (digitization.indicators): where the national formula description is
# uncertain, the reading in force; the default is the reference's (docs: indicators-766.md).
# 2.1: "accepted" = dossiers accepted in the period (reading A); "processed" = also those accepted
# earlier and still processed in the period (reading B).
METRICS_ON_TIME_DOSSIERS = _choice(
    "METRICS_ON_TIME_DOSSIERS", "accepted", ("accepted", "processed")
)
# 2.1: a dossier still open is judged at the period's last day ("period_end"), or at today when
# the period runs past today ("today").
METRICS_OPEN_JUDGED_AT = _choice("METRICS_OPEN_JUDGED_AT", "period_end", ("period_end", "today"))
# 4.1: denominator "accepted" (every dossier of a paper-result procedure) or "completed" (only
# those with the result issued: Đã xử lý xong / Đã trả kết quả).
METRICS_E_RESULT_DENOMINATOR = _choice(
    "METRICS_E_RESULT_DENOMINATOR", "accepted", ("accepted", "completed")
)
# 4.2: "any_file" (one component file suffices) or "all_required" (every required component).
METRICS_DIGITIZATION_COMPONENTS = _choice(
    "METRICS_DIGITIZATION_COMPONENTS", "any_file", ("any_file", "all_required")
)
# 5.4: "sum_of_rates" (100 - (overdue rate + disliked rate)) or "distinct_dossiers".
METRICS_SATISFACTION_COUNTING = _choice(
    "METRICS_SATISFACTION_COUNTING", "sum_of_rates", ("sum_of_rates", "distinct_dossiers")
)
# 3.3 multiplies the online share by the sync rate (1.4); until sync exists, this percentage.
METRICS_SYNC_RATE = env("METRICS_SYNC_RATE", "100")
# The points of each indicator, keyed by legal basis and the date from which they apply (a
# period is scored with the set in force on its first day, so a change never rewrites earlier
# periods). "confirmed": whether two independent sources agree on the points; unconfirmed
# points are defaults to be checked. threshold: full marks from this rate (%); 100 = linear.
# Override with a JSON list of the same shape (METRICS_SCORING).
METRICS_SCORING = _json_list(
    "METRICS_SCORING",
    [
        {
            "legal_basis": "Quyết định 766/QĐ-TTg ngày 23/6/2022",
            "effective_from": "2022-06-23",
            "indicators": {
                "sync": {"points": 6, "threshold": 100, "confirmed": False},
                "on_time": {"points": 20, "threshold": 100, "confirmed": True},
                "online": {"points": 4, "threshold": 50, "confirmed": False},
                "payment_procedures": {"points": 2, "threshold": 80, "confirmed": False},
                "online_payment": {"points": 6, "threshold": 100, "confirmed": False},
                "e_result": {"points": 6, "threshold": 100, "confirmed": False},
                "digitization": {"points": 4, "threshold": 80, "confirmed": False},
                "reuse": {"points": 2, "threshold": 80, "confirmed": False},
                "satisfaction": {"points": 6, "threshold": 90, "confirmed": False},
            },
        }
    ],
)
# What happens to the deadline when a supplement is supplied, keyed by legal basis and the date
# from which it applies to dossiers accepted on or after it: "keep_remaining" (the working days
# left when paused are kept, counted from the day of resumption) or "restart" (the whole
# processing time starts again from that day). Override with a JSON list (SUPPLEMENT_RULES).
SUPPLEMENT_RULES = _json_list(
    "SUPPLEMENT_RULES",
    [
        {
            "legal_basis": "Nghị định 61/2018/NĐ-CP",
            "effective_from": "2018-06-21",
            "rule": "keep_remaining",
        }
    ],
)
# An incremental metrics run also re-reads dossiers changed this long before the previous run's
# end, so that changes committed late by slow transactions are not missed.
METRICS_CHANGES_OVERLAP_SECONDS = env_int("METRICS_CHANGES_OVERLAP_SECONDS", 600)
# PostgreSQL: monthly partitions of the transition log created this many months ahead.
LOG_PARTITIONS_AHEAD = env_int("LOG_PARTITIONS_AHEAD", 3)
# How long a period's counts stay cached (until the next metrics run at the latest); 0 = never.
METRICS_CACHE_SECONDS = env_int("METRICS_CACHE_SECONDS", 300)
# Citizens' dossier look-ups and ratings (no login): per client address and per dossier code.
PUBLIC_LOOKUP_RATE_PER_CLIENT = env("PUBLIC_LOOKUP_RATE_PER_CLIENT", "20/min")
PUBLIC_LOOKUP_RATE_PER_DOSSIER = env("PUBLIC_LOOKUP_RATE_PER_DOSSIER", "30/hour")

# Documents: the statutory forms (PDF) and PAdES signatures of results.
# Absolute links printed in QR codes (the citizens' look-up, the result verification page).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where the forms say they were issued ("Quảng Ninh, ngày ... tháng ... năm ...").
DOCUMENTS_PLACE_NAME = env("DOCUMENTS_PLACE_NAME", "Quảng Ninh")
# TrueType fonts covering Vietnamese (Debian fonts-dejavu-core).
DOCUMENTS_FONT_DIR = Path(env("DOCUMENTS_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
# The font of the signature stamp (pyHanko sets DejaVu's glyphs apart; Debian fonts-noto-core).
DOCUMENTS_STAMP_FONT = Path(
    env("DOCUMENTS_STAMP_FONT", "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
)
# Approvers' PKCS#12 files (<username>.p12), protected by one passphrase given by
# SIGNING_KEY_PASSPHRASE or, better, read from SIGNING_KEY_PASSPHRASE_FILE.
SIGNING_KEY_DIR = Path(env("SIGNING_KEY_DIR", str(BASE_DIR / "secrets" / "signing")))
# DEMO ONLY, never for production: with DEBUG on (and nothing else configured) the demo's keys
# made by `manage.py seed_demo` are protected by this known passphrase, so `make run` signs.
# With DEBUG off there is no default: give SIGNING_KEY_PASSPHRASE_FILE.
DEMO_SIGNING_PASSPHRASE = "motcua-demo-khong-dung-that"
SIGNING_KEY_PASSPHRASE = env("SIGNING_KEY_PASSPHRASE", DEMO_SIGNING_PASSPHRASE if DEBUG else "")
SIGNING_KEY_PASSPHRASE_FILE = env("SIGNING_KEY_PASSPHRASE_FILE", "")
# PEM certificates an uploaded signature must chain to; default: the provincial CA.
SIGNING_TRUST_ROOTS = env_list("SIGNING_TRUST_ROOTS", [str(SIGNING_KEY_DIR / "ca.pem")])
# true (default): `sign` (API, desk, admin) signs the result (PAdES) with the approver's credential
# and is refused without one. false only for a deployment whose approvers sign outside the system
# on paper or a token: `sign` then records the step without a signed file (uploads still work).
RESULT_SIGNATURE_REQUIRED = env_bool("RESULT_SIGNATURE_REQUIRED", True)

# --- Security in production -----------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
# HTTPS only, on by default when DEBUG is off: plain-HTTP requests are redirected (the proxy
# says https in X-Forwarded-Proto) and browsers are told to use HTTPS for a year.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Scripts only from this site's own files (no inline script); inline styles are allowed.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "fontTools": {"level": "ERROR"},  # font subsetting when stamping signatures
    },
}

"""Settings for BookingSync, read from the environment.

Every setting has a local default that needs no server: SQLite and a
filesystem Celery broker, both kept under ``var/``. ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and Redis. With ``DEBUG`` off (production),
``SECRET_KEY`` must come from the environment.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)

# All files the app writes locally live in one ignored folder.
DATA_DIR = Path(env.str("BOOKINGSYNC_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production runs (DEBUG off) need a secret key "
            "from the environment, for example SECRET_KEY=$(python -c "
            "'import secrets; print(secrets.token_urlsafe(50))'). "
            "For local development set DEBUG=1 instead."
        )
    # Only for local development: not secret, never used with DEBUG off.
    SECRET_KEY = "insecure-local-development-key"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "scheduling",
    "django_filters",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bookingsync.urls"
WSGI_APPLICATION = "bookingsync.wsgi.application"

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

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'bookingsync.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and the tests share one file: wait for the
    # write lock instead of failing at once, and give tests a file (not
    # memory) so that a worker process can see the test database.
    # IMMEDIATE transactions take the write lock when they begin, so that
    # concurrent writers queue up instead of failing half-way through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=30, transaction_mode="IMMEDIATE"
    )
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGIN_URL = "login"

# Celery. Without REDIS_URL the broker is kombu's filesystem transport, which
# needs no server: messages are files under var/broker/.
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    for folder in ("out", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=CELERY_BROKER_URL)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="bookingsync")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A web request must not hang when the broker is down: the delivery is already
# stored and the periodic sweep will process it.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-webhook-deliveries": {
        "task": "scheduling.tasks.sweep_webhook_deliveries",
        "schedule": env.float("WEBHOOK_SWEEP_INTERVAL", default=60.0),
    },
}

# Webhook receiving.
# Bodies larger than this are refused with 413 (OnceHub bookings are a few KiB).
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=256 * 1024)
# How much of a refused body is kept for the record.
WEBHOOK_REJECTED_BODY_CAP = env.int("WEBHOOK_REJECTED_BODY_CAP", default=16 * 1024)
# How long a rotated-out secret is still accepted. OnceHub retries for about
# three days, so deliveries signed before a rotation keep arriving that long.
WEBHOOK_SECRET_GRACE_SECONDS = env.int(
    "WEBHOOK_SECRET_GRACE_SECONDS", default=4 * 24 * 3600
)
# Oldest signature timestamp accepted. OnceHub does not document whether a
# retry is signed again, so the window covers its whole retry span; replays
# inside it are caught by the event id.
WEBHOOK_SIGNATURE_MAX_AGE_SECONDS = env.int(
    "WEBHOOK_SIGNATURE_MAX_AGE_SECONDS", default=4 * 24 * 3600
)
# Deliveries still unprocessed after this long are picked up by the sweep.
WEBHOOK_SWEEP_AFTER_SECONDS = env.int("WEBHOOK_SWEEP_AFTER_SECONDS", default=60)

REST_FRAMEWORK = {
    # Token first, so that a program without credentials is told 401 and
    # which scheme to use, rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# Django refuses bodies over this before a view can see them; keep it above
# the webhook limit so that the webhook view can answer 413 itself.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, WEBHOOK_MAX_BODY_BYTES + 1)

# Messages (such as a new signing secret, shown once) stay on the server.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# The pages people read: where login and logout lead.
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Reports, exports, the calendar feed and the read API.
INSTALLED_APPS += [
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    # Named keys from the API tokens page, and drf_create_token keys.
    "scheduling.api.auth.ApiTokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "rest_framework.throttling.AnonRateThrottle",
    "rest_framework.throttling.UserRateThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
    "user": env.str("API_THROTTLE_USER", default="1200/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BookingSync API",
    "DESCRIPTION": (
        "Read the bookings, customers, event log and report figures of the "
        "accounts you belong to. Authenticate with `Authorization: Token <key>` "
        "(make keys on the API tokens page) or a browser session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The documentation page's assets are served from this site, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scheduling.api.schema.add_error_responses",
    ],
}

# Email: the console by default; EMAIL_URL (e.g. smtp://user:pass@host:587)
# points Django's email backend at a real server.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="bookings@localhost")

# Follow-ups: booking events pushed to other apps.
# Fernet keys that encrypt stored credentials, newest first. Required in
# production; local runs derive one from SECRET_KEY.
FOLLOWUPS_ENCRYPTION_KEYS = env.list("FOLLOWUPS_ENCRYPTION_KEYS", default=[])
if (
    not FOLLOWUPS_ENCRYPTION_KEYS
    and not DEBUG
    and not env.bool("FOLLOWUPS_DERIVE_KEY", default=False)
):
    raise ImproperlyConfigured(
        "FOLLOWUPS_ENCRYPTION_KEYS is not set. Production runs need a key that "
        "encrypts follow-up credentials, for example FOLLOWUPS_ENCRYPTION_KEYS="
        "$(python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())')."
    )
# Outbound requests may reach private, loopback and link-local addresses only
# when this is on (local development and tests).
FOLLOWUPS_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "FOLLOWUPS_ALLOW_PRIVATE_ADDRESSES", default=DEBUG
)
FOLLOWUPS_REQUEST_TIMEOUT = env.float("FOLLOWUPS_REQUEST_TIMEOUT", default=15.0)
# How long a worker holds a delivery while sending it (several requests).
FOLLOWUPS_LEASE_SECONDS = env.int("FOLLOWUPS_LEASE_SECONDS", default=120)
# Seconds to wait after each failed try: seconds, then minutes, then hours,
# about a day in all; the delivery is dead once they are spent.
FOLLOWUPS_RETRY_SCHEDULE = [
    int(seconds)
    for seconds in env.list(
        "FOLLOWUPS_RETRY_SCHEDULE",
        default="5,30,120,600,1800,3600,7200,14400,28800,28800".split(","),
    )
]
FOLLOWUPS_RETRY_JITTER = env.float("FOLLOWUPS_RETRY_JITTER", default=0.2)
# The longest Retry-After honoured.
FOLLOWUPS_RETRY_AFTER_MAX = env.int("FOLLOWUPS_RETRY_AFTER_MAX", default=24 * 3600)
# A subscription whose deliveries end failed this many times in a row pauses.
FOLLOWUPS_PAUSE_AFTER_FAILURES = env.int("FOLLOWUPS_PAUSE_AFTER_FAILURES", default=5)
# How long a cancel waits for the new booking of a reschedule.
FOLLOWUPS_CANCEL_HOLD_SECONDS = env.int("FOLLOWUPS_CANCEL_HOLD_SECONDS", default=120)
# How long a rotated-out webhook signing secret still signs, beside the new one.
FOLLOWUPS_SECRET_GRACE_SECONDS = env.int(
    "FOLLOWUPS_SECRET_GRACE_SECONDS", default=24 * 3600
)
CELERY_BEAT_SCHEDULE["send-due-followups"] = {
    "task": "scheduling.followups.tasks.send_due_followups",
    "schedule": env.float("FOLLOWUPS_SWEEP_INTERVAL", default=15.0),
}

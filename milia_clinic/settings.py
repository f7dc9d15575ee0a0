"""Settings for Milia Clinic, read from the environment.

Every variable is listed, with its default, in README.md ("Configuration") and in .env.example.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off: set it to a "
            "long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    # Development only: reached only when DJANGO_DEBUG is on (refused above otherwise).
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # nosec B105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_htmx",
    "csp",
    "axes",
    "auditlog",
    "audit",
    "treatments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # GET, HEAD and POST only: a record is never served to a method the audit does not record.
    "audit.middleware.AllowedMethodsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a signed-in user unless marked @login_not_required (the login page, and
    # the APIs, which answer 401 themselves).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "treatments.middleware.SessionTimeoutMiddleware",
    "treatments.middleware.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.middleware.AuditAccessMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "treatments.middleware.DatabaseBusyMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "milia_clinic.urls"
WSGI_APPLICATION = "milia_clinic.wsgi.application"

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
                "treatments.context_processors.clinic",
                "treatments.context_processors.layout",
            ],
        },
    },
    {
        # The consultation page's chart fragment and advice panel only (issue 14,
        # docs/hot-pages.md): rendered on their own by the views, several times faster than by
        # the engine above, and handed to the Django pages as finished markup.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "treatments.templating.environment",
            "keep_trailing_newline": True,
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite in the project folder by default; PostgreSQL in production and CI via DATABASE_URL.
# Several app processes can share one PostgreSQL: no state lives in the process.

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        # A reused connection is checked (a "SELECT 1") at the first query of each request, so a
        # database restart costs no request an error; off, it saves that round trip per request
        # and the first request of each worker after a restart fails (README "Configuration").
        conn_health_checks=env_bool("DJANGO_CONN_HEALTH_CHECKS", True),
    )
}
# PostgreSQL gives up on a statement blocked by a lock, or running too long, after these times
# (answered with a "try again" page, treatments.middleware.DatabaseBusyMiddleware), instead of
# hanging until the app server kills the worker.
DATABASE_LOCK_TIMEOUT_SECONDS = float(os.environ.get("DJANGO_DB_LOCK_TIMEOUT_SECONDS", "5"))
DATABASE_STATEMENT_TIMEOUT_SECONDS = float(
    os.environ.get("DJANGO_DB_STATEMENT_TIMEOUT_SECONDS", "30")
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={int(DATABASE_LOCK_TIMEOUT_SECONDS * 1000)}"
        f" -c statement_timeout={int(DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000)}"
    )
# The hot reads written once per process (milia_clinic.prepared) are also prepared once per
# PostgreSQL connection: planning them cost PostgreSQL three to six times running them. Off for
# a connection pooler that does not keep a session's prepared statements (PgBouncer in
# transaction mode; README "Configuration").
PREPARED_STATEMENTS = env_bool("DJANGO_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Object permissions of treatments.permissions (django-rules): "may change this record".
    "rules.permissions.ObjectPermissionBackend",
    # ModelBackend, reading a user's role permissions in one query rather than two.
    "treatments.auth_backend.RolePermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "treatments:home"
LOGOUT_REDIRECT_URL = "login"

# --- Security -------------------------------------------------------------------------------

SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SESSION_COOKIE_SAMESITE = "Lax"
# Sessions live in the database, so logging out (or deactivating a user) ends them everywhere.
# Django's database store, read by a query written once per process (treatments.sessions).
SESSION_ENGINE = "treatments.sessions"
# With REDIS_URL, sessions are also cached there (read from Redis, written through to the
# database): one query less per request. The cache is shared by every worker, so a logout or a
# deactivation still ends a session everywhere at once. A per-process cache would not be.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Automatic logoff after this long without a request, with a warning a minute before, and an
# absolute lifetime whatever the activity.
SESSION_IDLE_SECONDS = int(os.environ.get("DJANGO_SESSION_IDLE_SECONDS", str(15 * 60)))
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_SECONDS", str(8 * 60 * 60)))
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the app append the client's address to X-Forwarded-For (0: none,
# the client is REMOTE_ADDR). One setting for the audit trail and the login throttling alike
# (audit.context.client_address); README "Deploying" gives the proxy's exact headers.
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))

# No inline script or style anywhere: every script and stylesheet is a file served by the app.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its form controls' icons as data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): a lockout after repeated failures, lifted after a cool-off.
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "audit.context.client_address"

# The public half of the key that signs the audit trail's checkpoints (base64 of the 32 raw
# bytes, printed by `manage.py audit_keygen`); the private half never reaches the app.
AUDIT_CHECKPOINT_PUBLIC_KEY = os.environ.get("MILIA_AUDIT_PUBLIC_KEY", "")

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files: served by the app itself (whitenoise); no page loads from another host ----

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files a browser asks for at the site's root (favicon.ico), served as they are: no page, no
# login, no patient data, and no 404 on every page.
WHITENOISE_ROOT = BASE_DIR / "public"


def photo_storage(environ) -> dict:
    """Where clinical photos are kept (the ``photos`` storage): never a folder the web server
    or whitenoise serves (not STATIC_ROOT, MEDIA_ROOT or WHITENOISE_ROOT); only the photo view,
    which checks the role and writes an audit event, reads them. Local files by default; an
    S3-compatible bucket (private, signed URLs never handed out) with MILIA_PHOTO_STORAGE=s3
    and ``pip install .[s3]``; its credentials come from boto3's own variables."""
    if environ.get("MILIA_PHOTO_STORAGE", "local") == "s3":
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": environ.get("MILIA_PHOTO_S3_BUCKET", ""),
                "endpoint_url": environ.get("MILIA_PHOTO_S3_ENDPOINT_URL") or None,
                "region_name": environ.get("MILIA_PHOTO_S3_REGION") or None,
                "location": environ.get("MILIA_PHOTO_S3_PREFIX", "photos"),
                "default_acl": "private",
                "file_overwrite": False,
                "querystring_auth": True,
            },
        }
    if environ.get("MILIA_PHOTO_STORAGE", "local") != "local":
        raise ImproperlyConfigured(
            f"MILIA_PHOTO_STORAGE must be local or s3; got {environ.get('MILIA_PHOTO_STORAGE')!r}."
        )
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": environ.get("MILIA_PHOTO_ROOT") or str(BASE_DIR / "private" / "photos"),
            "base_url": "/no-public-url/",
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "photos": photo_storage(os.environ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; keep its warnings (lockouts) only.
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every layout step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
    },
}

# --- The clinic (printed on aftercare sheets) -----------------------------------------------

CLINIC_NAME = os.environ.get("CLINIC_NAME", "Milia Clinic")
CLINIC_PHONE = os.environ.get("CLINIC_PHONE", "01632 960000")
# The weekdays the clinic is open (sessions and reviews are only ever dated on them), e.g.
# MILIA_CLINIC_OPEN_DAYS=mon,tue,wed,thu,fri,sat. Weekday numbers as date.weekday(): Monday 0.
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_open_days = [day.lower()[:3] for day in env_list("MILIA_CLINIC_OPEN_DAYS", "mon,tue,wed,thu,fri")]
if not _open_days or any(day not in _WEEKDAYS for day in _open_days):
    raise ImproperlyConfigured(
        "MILIA_CLINIC_OPEN_DAYS must list weekdays (mon, tue, wed, thu, fri, sat, sun), "
        f"comma-separated; got {os.environ.get('MILIA_CLINIC_OPEN_DAYS')!r}."
    )
MILIA_CLINIC_OPEN_DAYS = frozenset(_WEEKDAYS.index(day) for day in _open_days)

# --- Clinical rules -------------------------------------------------------------------------
# Overrides of the rule thresholds (names as in treatments.rules.Thresholds), e.g.
# MILIA_RULES_THRESHOLDS='{"FEW_MAX": 8}'. Any override changes the reported rules version.
MILIA_RULES_THRESHOLDS = json.loads(os.environ.get("MILIA_RULES_THRESHOLDS", "{}") or "{}")
# ICD-10-CM code recorded for milia: L72.0 indexes milia; some services use L72.8.
MILIA_ICD10_CODE = os.environ.get("MILIA_ICD10_CODE", "L72.0")

# Bootstrap's alert colours for Django's message levels.
MESSAGE_TAGS = {40: "danger"}

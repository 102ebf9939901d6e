"""Django settings, read from ``GGZY_*`` environment variables (see ``.env.example``).

SQLite (WAL, busy_timeout, IMMEDIATE transactions) is the embedded default;
PostgreSQL is used when ``DATABASE_URL`` is set.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from ggzy.core.env import env_bool, env_codes, env_int, env_list, env_path, env_str
from ggzy.core.secrets import load_or_create_secret

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("GGZY_DATA_DIR", Path.cwd() / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("GGZY_DEBUG", False)
SECRET_KEY = env_str("GGZY_SECRET_KEY", "") or load_or_create_secret(DATA_DIR, "secret_key").hex()
ALLOWED_HOSTS = env_list("GGZY_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("GGZY_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ggzy.core",
    "ggzy.ledger",
    "ggzy.accounts",
    "ggzy.registry",
    "ggzy.rules",
    "ggzy.projects",
    "ggzy.tendering",
    "ggzy.experts",
    "ggzy.evaluation",
    "ggzy.contracts",
    "ggzy.disclosure",
    "ggzy.opendata",
    "ggzy.web",
    "ggzy.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ggzy.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ggzy.core.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "ggzy.urls"
WSGI_APPLICATION = "ggzy.wsgi.application"
ASGI_APPLICATION = "ggzy.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ggzy.web.context.navigation",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Django's own queries bind on the client and never prepare; the ledger's hot INSERT
        # uses a server-side-binding cursor, prepared after 5 runs (unset behind a pooler in
        # transaction mode with GGZY_PG_PREPARE_THRESHOLD=0).
        _threshold = env_int("GGZY_PG_PREPARE_THRESHOLD", 5, minimum=0)
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = _threshold or None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(env_path("GGZY_SQLITE_PATH", DATA_DIR / "ggzy.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("GGZY_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("GGZY_SESSION_SECONDS", 8 * 3600, minimum=300)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
MEDIA_URL = "/media/"
MEDIA_ROOT = env_path("GGZY_MEDIA_ROOT", DATA_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: qualification scans and similar attachments (bid files have their own path).
GGZY_MAX_UPLOAD_BYTES = env_int("GGZY_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024)
GGZY_MAX_DOCUMENT_BYTES = env_int("GGZY_MAX_DOCUMENT_BYTES", 200 * 1024 * 1024, minimum=1024)
GGZY_MAX_BID_BYTES = env_int("GGZY_MAX_BID_BYTES", 2 * 1024**3, minimum=1024)
# The custodians' batch opening: bids decrypted in parallel on this many threads (≈ cores).
GGZY_OPENING_WORKERS = env_int("GGZY_OPENING_WORKERS", 2, minimum=1)
# Bids up to this size are decrypted in memory at the opening (larger ones via a temporary file).
GGZY_OPENING_MEMORY_BYTES = env_int("GGZY_OPENING_MEMORY_BYTES", 64 * 1024 * 1024, minimum=0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Keys kept in the data directory unless given explicitly (base64 / hex in the environment).
GGZY_FIELD_KEY = env_str("GGZY_FIELD_KEY", "")
GGZY_PLATFORM_KEY = env_str("GGZY_PLATFORM_KEY", "")
GGZY_PLATFORM_NAME = env_str("GGZY_PLATFORM_NAME", "ggzy.baiyin.example")
GGZY_PLATFORM_CODE = env_str("GGZY_PLATFORM_CODE", "12620400MB0000000X")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("GGZY_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


GGZY_SITE_NAME = env_str("GGZY_SITE_NAME", "白银市公共资源交易平台")
# The address the public reaches this platform at: absolute links in notices, e-mails, QR
# codes on signed PDFs, OCDS releases and feed items.
GGZY_PUBLIC_URL = env_str("GGZY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Outgoing mail: subscriptions (信息订阅), expert notifications. Without GGZY_EMAIL_HOST mail is
# written to the console log (development); set it in production.
_email_host = env_str("GGZY_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if _email_host
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = _email_host or "localhost"
EMAIL_PORT = env_int("GGZY_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("GGZY_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("GGZY_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("GGZY_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("GGZY_EMAIL_FROM", "noreply@ggzy.example.gov.cn")
# Expert notifications (docs/experts.md): e-mail and/or a signed webhook to an SMS/voice gateway.
GGZY_EXPERTS_NOTIFIERS = tuple(env_list("GGZY_EXPERTS_NOTIFIERS", ["email"]))
GGZY_EXPERTS_WEBHOOK_URL = env_str("GGZY_EXPERTS_WEBHOOK_URL", "")
GGZY_EXPERTS_WEBHOOK_SECRET = env_str("GGZY_EXPERTS_WEBHOOK_SECRET", "")
# Open data (docs/opendata.md)
GGZY_OCDS_PREFIX = env_str("GGZY_OCDS_PREFIX", "ocds-ggzy-")
GGZY_OPENDATA_SPEC_VERSION = env_str("GGZY_OPENDATA_SPEC_VERSION", "v3")
# code-set values the centre confirms (docs/opendata.md); empty fields are flagged until set
GGZY_OPENDATA_CODES = env_codes("GGZY_OPENDATA_CODES")
GGZY_SERVE_MEDIA = env_bool("GGZY_SERVE_MEDIA", False)

# Evidence ledger (存证账本)
GGZY_LOG_ORIGIN = env_str("GGZY_LOG_ORIGIN", "ggzy.baiyin.example/ledger")
GGZY_LOG_KEY = env_str("GGZY_LOG_KEY", "")
GGZY_LOG_SM2_KEY = env_str("GGZY_LOG_SM2_KEY", "")  # optional SM2-SM3 checkpoint line (国密)
GGZY_LEDGER_SEQUENCER = env_str("GGZY_LEDGER_SEQUENCER", "inline")  # inline | worker
GGZY_LEDGER_BATCH = env_int("GGZY_LEDGER_BATCH", 256, minimum=1)
GGZY_LEDGER_SAFETY_SECONDS = env_int("GGZY_LEDGER_SAFETY_SECONDS", 300, minimum=0)
GGZY_WITNESS_POLICY = env_str("GGZY_WITNESS_POLICY", "")
GGZY_LEDGER_SM3 = env_bool("GGZY_LEDGER_SM3", False)  # also record SM3 of each payload (国密)

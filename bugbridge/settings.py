"""Django settings, read from the environment (twelve-factor style).

Every value has a default that is safe for a single-machine install: secrets that are not given
are generated once and kept in the data directory with owner-only permissions, never hard-coded.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from bugbridge.core.config import env_bool, env_int, env_list, persistent_secret

BASE_DIR = Path(__file__).resolve().parent
# Where SQLite, generated secrets and static files live. The default does not depend on the
# current directory, so `bugbridge serve` started from anywhere finds the same database and keys.
_XDG_DATA_HOME = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
DATA_DIR = Path(os.environ.get("BUGBRIDGE_DATA_DIR") or _XDG_DATA_HOME / "bugbridge").resolve()

DEBUG = env_bool("BUGBRIDGE_DEBUG", default=False)
SECRET_KEY = os.environ.get("BUGBRIDGE_SECRET_KEY") or persistent_secret(DATA_DIR, "secret_key")

# Fernet keys for secrets at rest. Several comma-separated keys allow rotation: the first one
# encrypts, all of them decrypt.
ENCRYPTION_KEYS = env_list("BUGBRIDGE_ENCRYPTION_KEY") or [
    persistent_secret(DATA_DIR, "encryption_key", fernet=True)
]

# The public URL people and Jira use to reach this instance. Connect compares the exact string
# with the `aud` claim of signed installs, so it must not carry a trailing slash.
BASE_URL = os.environ.get("BUGBRIDGE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# The host of BASE_URL is always served (SDKs and Jira use it); loopback too, for health checks.
ALLOWED_HOSTS = env_list("BUGBRIDGE_ALLOWED_HOSTS") or [
    urlsplit(BASE_URL).hostname or "127.0.0.1",
    "127.0.0.1",
    "localhost",
    "[::1]",
]
CSRF_TRUSTED_ORIGINS = env_list("BUGBRIDGE_CSRF_TRUSTED_ORIGINS") or [BASE_URL]

# Largest accepted ingest body, after decompression (Sentry's relay uses a similar bound).
INGEST_MAX_BODY_BYTES = env_int("BUGBRIDGE_INGEST_MAX_BODY_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_BODY_BYTES

# Run the outbound sync worker inside `bugbridge serve` (the embedded default).
INPROCESS_WORKER = env_bool("BUGBRIDGE_INPROCESS_WORKER", default=True)
JIRA_HTTP_TIMEOUT_SECONDS = float(os.environ.get("BUGBRIDGE_JIRA_TIMEOUT", "10"))
# OAuth 2.0 (3LO) app's client secret: Jira signs dynamic-webhook deliveries with it. Empty means
# OAuth webhooks are refused.
JIRA_OAUTH_CLIENT_SECRET = os.environ.get("BUGBRIDGE_JIRA_OAUTH_CLIENT_SECRET", "")
CONNECT_APP_KEY = os.environ.get("BUGBRIDGE_CONNECT_APP_KEY", "io.bugbridge.jira")
CONNECT_INSTALL_KEYS_URL = os.environ.get(
    "BUGBRIDGE_CONNECT_INSTALL_KEYS_URL", "https://connect-install-keys.atlassian.com"
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "bugbridge.core",
    "bugbridge.tracker",
    "bugbridge.ingest",
    "bugbridge.jira",
    "bugbridge.sync",
    "bugbridge.web",
    "bugbridge.api",
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

ROOT_URLCONF = "bugbridge.urls"
WSGI_APPLICATION = "bugbridge.wsgi.application"

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


def _database() -> dict[str, object]:
    default_sqlite = f"sqlite:///{DATA_DIR / 'bugbridge.sqlite3'}"
    config: dict[str, object] = dict(
        dj_database_url.parse(os.environ.get("DATABASE_URL", default_sqlite), conn_max_age=60)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the single writer; IMMEDIATE transactions take the write
        # lock up front, so two writers queue on busy_timeout instead of failing mid-transaction.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        # A file (not :memory:) so live-server threads share it; one per test process so
        # concurrent runs never share a database.
        config["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise warns on every request while the folder is missing (before collectstatic ran).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BUGBRIDGE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

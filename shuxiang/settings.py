"""Settings, read from environment variables only (see README "Configuration")."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [part.strip() for part in value.split(",") if part.strip()] or default


DATA_DIR = Path(os.environ.get("SHUXIANG_DATA_DIR") or (Path.cwd() / "var")).resolve()


def envsecret(name: str) -> str:
    """The secret from the environment, or one generated once and kept in the data directory."""
    value = os.environ.get(name, "")
    if value:
        return value
    path = DATA_DIR / "secret_key.txt"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    # Another process may have written it meanwhile: the first writer wins.
    try:
        with open(path, "x") as f:
            f.write(value)
        path.chmod(0o600)
    except FileExistsError:
        return path.read_text().strip()
    return value


SECRET_KEY = envsecret("SECRET_KEY")
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "shuxiang.accounts",
    "shuxiang.jobs",
    "shuxiang.catalog",
    "shuxiang.patrons",
    "shuxiang.circulation",
    "shuxiang.marc",
    "shuxiang.reports",
    "shuxiang.sip2",
    "shuxiang.opac",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one: even a CSRF refusal or an error page carries the headers.
    "shuxiang.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shuxiang.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "shuxiang.middleware.RefuseNulMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shuxiang.middleware.SessionGuardMiddleware",
]

ROOT_URLCONF = "shuxiang.urls"
WSGI_APPLICATION = "shuxiang.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "opac:search"

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
            ],
        },
    },
]


def database_config() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'shuxiang.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers (the OPAC) run while the desk writes; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue on busy_timeout instead of failing mid-way.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-32000; PRAGMA mmap_size=268435456"
            ),
        }
        # Tests use a file, not :memory:, so that threads share one database.
        test_name = os.environ.get("SHUXIANG_TEST_DB") or str(DATA_DIR / "test.sqlite3")
        config["TEST"] = {"NAME": test_name}
    # Keep connections: opening one (and its PRAGMAs) costs about a millisecond, as much as
    # a whole checkout. Each server thread keeps its own.
    config["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every password set by `shuxiang user add` (kiosks' too) passes these (docs/security.md).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "shuxiang.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("SHUXIANG_PASSWORD_MIN_LENGTH", 8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Project-wide assets (vendored Bootstrap, our app.css/app.js) beside the apps' own.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Assets are served from the app folders (WHITENOISE_USE_FINDERS); set STATIC_ROOT to
# collect them for another web server.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders: no collectstatic step for a school's IT teacher.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Desk and library PCs are shared: a session left alone this long is logged out (0: never).
SHUXIANG_IDLE_MINUTES = envint("SHUXIANG_IDLE_MINUTES", 30)
# Web login lockout (docs/security.md): this many failures for one user name, or from one
# address, within the window lock it for SHUXIANG_LOCKOUT_MINUTES.
SHUXIANG_LOGIN_MAX_FAILURES = envint("SHUXIANG_LOGIN_MAX_FAILURES", 5)
SHUXIANG_LOGIN_IP_MAX_FAILURES = envint("SHUXIANG_LOGIN_IP_MAX_FAILURES", 20)
SHUXIANG_LOGIN_WINDOW_MINUTES = 15
SHUXIANG_LOCKOUT_MINUTES = envint("SHUXIANG_LOCKOUT_MINUTES", 15)

# Production over HTTPS (docs/security.md). SHUXIANG_HTTPS=1: Shuxiang is reached only by
# https:// (secure cookies, HSTS, http:// redirected); =proxy: the same behind a reverse
# proxy that ends TLS and sets X-Forwarded-Proto. Empty (the default): plain http on the
# school network, where secure cookies would never be sent back.
SHUXIANG_HTTPS = os.environ.get("SHUXIANG_HTTPS", "").strip().lower()
if SHUXIANG_HTTPS not in {"", "0", "false", "no", "off"}:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = envint("SHUXIANG_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SHUXIANG_HSTS_SUBDOMAINS", True)
    # Submitting a domain to the browsers' preload list binds every subdomain to HTTPS for
    # years: the school's network administrator decides, so it is opt-in and check W021
    # (which asks for it) is silenced.
    SECURE_HSTS_PRELOAD = envbool("SHUXIANG_HSTS_PRELOAD", False)
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
    if SHUXIANG_HTTPS == "proxy":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SHUXIANG_SCHOOL_NAME = os.environ.get("SHUXIANG_SCHOOL_NAME", "")
# The library's code in exchanged MARC holdings (CNMARC 905$a, MARC21 952$a); may be empty.
SHUXIANG_LIBRARY_CODE = os.environ.get("SHUXIANG_LIBRARY_CODE", "")
# SIP2: the institution id (AO) kiosks must send; empty (the default): any is accepted.
SHUXIANG_SIP2_INSTITUTION = os.environ.get("SHUXIANG_SIP2_INSTITUTION", "")
# SIP2: the character set of the server, utf-8 (default) or gbk; a kiosk account may differ.
SHUXIANG_SIP2_ENCODING = os.environ.get("SHUXIANG_SIP2_ENCODING", "utf-8")
# A PNG or JPEG of the school's badge, printed on library cards; empty: none.
SHUXIANG_SCHOOL_LOGO = os.environ.get("SHUXIANG_SCHOOL_LOGO", "")
# A folder of patron photos named by card number (R000123.jpg / .png), printed on cards.
SHUXIANG_PHOTO_DIR = os.environ.get("SHUXIANG_PHOTO_DIR", "")
# Which grades exist: primary (1–6), junior (7–9), senior (10–12), nine_year (1–9),
# complete (7–12) or twelve_year (1–12). See shuxiang/lib/grades.py.
SHUXIANG_SCHOOL_TYPE = os.environ.get("SHUXIANG_SCHOOL_TYPE", "primary")
# Library cards numbered automatically: prefix + running number padded to this many digits.
SHUXIANG_CARD_PREFIX = os.environ.get("SHUXIANG_CARD_PREFIX", "R")
SHUXIANG_CARD_DIGITS = envint("SHUXIANG_CARD_DIGITS", 6)
# The name written on circulation events from this server's desk when none is chosen in the
# browser (a librarian can name each desk PC; the name is kept in a cookie).
SHUXIANG_DESK_NAME = os.environ.get("SHUXIANG_DESK_NAME", "desk")
# Uploaded files (rosters, MARC) wait here between preview and import.
UPLOAD_DIR = DATA_DIR / "uploads"
SHUXIANG_MAX_UPLOAD_MB = envint("SHUXIANG_MAX_UPLOAD_MB", 50)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background jobs (imports): rows in the database are the queue; `shuxiang serve` starts a
# worker beside the web server. Tests run jobs at once, in the request.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if os.environ.get("SHUXIANG_TASKS") == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    TASKS["default"]["BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"

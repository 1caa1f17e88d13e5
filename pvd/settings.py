"""Settings for the PVD platform, read from environment variables (12-factor).

Local defaults are safe for development; production sets ``DJANGO_ENV=production`` and
provides ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` and ``DATABASE_URL``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PVD_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = ENV == "production"
DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "dsfr",
    "widget_tweaks",
    "django_filters",
    "django_htmx",
    "simple_history",
    "ninja",
    "axes",
    "csp",
    "mozilla_django_oidc",
    "pvd.core",
    "pvd.comptes",
    "pvd.territoires",
    "pvd.programmes",
    "pvd.projets",
    "pvd.ingenierie",
    "pvd.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "pvd.comptes.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "pvd.urls"
WSGI_APPLICATION = "pvd.wsgi.application"

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
                "pvd.core.context_processors.site",
                "pvd.comptes.context_processors.account",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite (WAL) under var/ by default; PostgreSQL when DATABASE_URL is set.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "pvd.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": os.environ.get("PVD_TEST_SQLITE", "")}
            if os.environ.get("PVD_TEST_SQLITE")
            else {},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
# Who may do what is decided by pvd.comptes.policy from the user's habilitations, never here.
AUTH_USER_MODEL = "comptes.User"
AUTHENTICATION_BACKENDS = [
    "pvd.comptes.backends.LockoutBackend",  # django-axes: refuses locked-out clients first
    "django.contrib.auth.backends.ModelBackend",  # e-mail + password
    "pvd.comptes.oidc.ProConnectBackend",  # ProConnect (inert unless PROCONNECT_CLIENT_ID is set)
]
LOGIN_URL = "comptes:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link is valid one day
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ProConnect (OpenID Connect federation of public agents) through mozilla-django-oidc.
# PROCONNECT_ISSUER e.g. https://fca.integ01.dev-agentconnect.fr/api/v2 (integration) or
# https://auth.agentconnect.gouv.fr/api/v2 (production); endpoints derive from it, each one can
# be overridden (PROCONNECT_AUTHORIZATION_ENDPOINT, _TOKEN_, _USERINFO_, _JWKS_, _LOGOUT_).
PROCONNECT_ISSUER = os.environ.get("PROCONNECT_ISSUER", "").rstrip("/")
OIDC_RP_CLIENT_ID = os.environ.get("PROCONNECT_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("PROCONNECT_CLIENT_SECRET", "")
PROCONNECT_ENABLED = bool(PROCONNECT_ISSUER and OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET)


def _oidc_endpoint(name: str, path: str) -> str:
    return os.environ.get(
        f"PROCONNECT_{name}_ENDPOINT", f"{PROCONNECT_ISSUER}{path}" if PROCONNECT_ISSUER else ""
    )


OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc_endpoint("AUTHORIZATION", "/authorize")
OIDC_OP_TOKEN_ENDPOINT = _oidc_endpoint("TOKEN", "/token")
OIDC_OP_USER_ENDPOINT = _oidc_endpoint("USERINFO", "/userinfo")
OIDC_OP_JWKS_ENDPOINT = _oidc_endpoint("JWKS", "/jwks")
PROCONNECT_LOGOUT_ENDPOINT = _oidc_endpoint("LOGOUT", "/session/end")
OIDC_RP_SIGN_ALGO = os.environ.get("PROCONNECT_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email given_name usual_name"
OIDC_AUTH_REQUEST_EXTRA_PARAMS = {"acr_values": os.environ.get("PROCONNECT_ACR_VALUES", "eidas1")}
OIDC_CREATE_USER = True  # matched by e-mail, created without any right until a habilitation is granted
OIDC_STORE_ID_TOKEN = True  # for the logout at ProConnect (id_token_hint)
OIDC_TIMEOUT = 10
OIDC_OP_LOGOUT_URL_METHOD = "pvd.comptes.oidc.provider_logout_url"
LOGIN_REDIRECT_URL_FAILURE = "/comptes/connexion/?echec=proconnect"

# Lock-out after repeated failed logins (django-axes), per (e-mail, client IP) pair.
AXES_FAILURE_LIMIT = int(os.environ.get("PVD_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PVD_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "pvd.comptes.security.login_username"  # the e-mail, case-insensitive
AXES_LOCKOUT_TEMPLATE = "comptes/lockout.html"
AXES_DISABLE_ACCESS_LOG = True  # no log of every successful login (personal data)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]  # masked in axes' log lines
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "pvd.comptes.security.client_ip"
# Number of trusted reverse proxies in front of the app (their X-Forwarded-For entries).
PVD_TRUSTED_PROXIES = int(os.environ.get("PVD_TRUSTED_PROXIES", "1" if PRODUCTION else "0"))

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_AUTOREFRESH = DEBUG
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES_DIR = BASE_DIR / "node_modules"
# Front-end packages installed by npm (package.json), served under /static/vendor/<name>/.
_VENDOR = {
    "htmx": NODE_MODULES_DIR / "htmx.org" / "dist",
    "dsfr-chart": NODE_MODULES_DIR / "@gouvfr" / "dsfr-chart",
    "france-departments": NODE_MODULES_DIR / "@svg-maps" / "france.departments",
}
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    (f"vendor/{name}", path) for name, path in _VENDOR.items() if path.is_dir()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# --- Reference data -------------------------------------------------------------------------
# The territorial referential comes from the publisher's npm package, pinned in package.json.
COG_PACKAGE_DIR = Path(
    os.environ.get("PVD_COG_DIR", NODE_MODULES_DIR / "@etalab" / "decoupage-administratif")
)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "pvd@localhost")

# --- Logging (no personal data: no request bodies, e-mail addresses and tokens masked) ------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "pvd.comptes.security.MaskPersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own loggers are re-attached to the filtered handler (their default handlers
        # would otherwise print unmasked copies).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # lock-outs only (user names masked), not every login
    },
}

# --- Security (hardened further in production) ----------------------------------------------
# CSRF: CsrfViewMiddleware on every form; the API checks it for session-authenticated writes.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # Lax (not Strict): the ProConnect callback must carry the session
SESSION_COOKIE_AGE = int(os.environ.get("PVD_SESSION_HOURS", "12")) * 3600
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^sante/$"]  # the load balancer's probe speaks plain HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts only from our origin or carrying the request's
# nonce (``nonce="{{ request.csp_nonce }}"``, as the DSFR base template does); inline styles
# are allowed because DSFR components and dsfr-chart set them; nothing may frame the site.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

_PROCONNECT_ORIGIN = "/".join(PROCONNECT_ISSUER.split("/")[:3]) if PROCONNECT_ISSUER else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF] + ([_PROCONNECT_ORIGIN] if _PROCONNECT_ORIGIN else []),
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

PVD_DEMO = env_bool("PVD_DEMO", default=not PRODUCTION)

# --- Programme defaults ---------------------------------------------------------------------
PVD_POPULATION_CEILING = 20_000

"""The smallest Django project that serves django-scim2-server, for idgate's CI.

django-scim2.sh sets IDGATE_PEER_DIR: the SQLite database, the token and the secret key live
there, never in the repository.
"""

import os
from pathlib import Path

import email_validator

DIR = Path(os.environ["IDGATE_PEER_DIR"])

SECRET_KEY = (DIR / "secret-key").read_text().strip()
# The one bearer token the SCIM endpoints accept (idgate_peer.auth).
SCIM_TOKEN = (DIR / "token").read_text().strip()

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim2_server",
]
# The package's views are csrf-exempt, and the token check needs no session.
MIDDLEWARE = []
ROOT_URLCONF = "idgate_peer.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DIR / "db.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

# A 500's traceback goes to the server's log (DIR/server.log), not to a mail to ADMINS.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}

# The package's hook for access control: a callable (HttpRequest) -> bool; False is its 401.
SCIM2_SERVER_AUTH_CHECK = "idgate_peer.auth.bearer_token"

# email-validator, under scim2-models' EmailStr, refuses special-use domains (RFC 6761) such as
# .test, and every Entra test user has one (Test_User_...@testuser.test): without this line each
# Entra POST /Users is a 400 and nothing after it is measured. It lets .test through, nothing
# else (pydantic never asks for deliverability). django-scim2-findings.md, "Setup", has the 400.
email_validator.TEST_ENVIRONMENT = True

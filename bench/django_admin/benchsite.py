"""bench/django_admin/benchsite.py - Django's admin for the task model of
bench/admin_bench.py: the anchor that Kiln's admin is measured against.

One settings module, written as a Django project would be for production:
DEBUG off (so the templates are cached), the admin with its usual
middleware (sessions in the database, authentication, messages, CSRF),
persistent database connections. The models are in the app `tasks`
(tasks/models.py, tasks/admin.py), on the tables Kiln's migration made.

  API_DB=postgres://u@127.0.0.1:5432/db gunicorn benchsite:application
  API_DB=... python3 benchsite.py setup    # Django's own tables, a
                                           # superuser, and a session: its
                                           # key is printed
"""

import os
import sys
from urllib.parse import urlparse

import django
from django.conf import settings

_url = urlparse(os.environ.get("API_DB", "postgres://127.0.0.1/kiln"))

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-a-secret-0123456789",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "tasks",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
    TEMPLATES=[{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
        ]},
    }],
    DATABASES={"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": str(_url.port or 5432),
        "CONN_MAX_AGE": None,  # persistent connections
    }},
    STATIC_URL="/static/",
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.contrib import admin  # noqa: E402
from django.urls import path  # noqa: E402

urlpatterns = [path("admin/", admin.site.urls)]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()


def setup():
    """Django's tables (auth, sessions, admin log...), a superuser and a
    logged-in session whose key is printed."""
    from django.contrib.auth import (BACKEND_SESSION_KEY, HASH_SESSION_KEY,
                                     SESSION_KEY, get_user_model)
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    call_command("migrate", verbosity=0, interactive=False)
    user_model = get_user_model()
    u, _ = user_model.objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True})
    u.set_password("bench-only-password")
    u.save()
    s = SessionStore()
    s[SESSION_KEY] = str(u.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = u.get_session_auth_hash()
    s.create()
    print(s.session_key)


if __name__ == "__main__" and sys.argv[1:] == ["setup"]:
    setup()

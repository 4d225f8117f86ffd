"""bench/auth/whoami_drf.py - the anchor of bench/auth_bench.py: the same
whoami endpoint in Django REST Framework, with DRF's TokenAuthentication
(`Authorization: Token <key>`) and djangorestframework-simplejwt's
JWTAuthentication (`Authorization: Bearer <RS256 JWT>`), written the way
their documentation writes them.

One module: settings, one APIView, one URL. DEBUG off, no middleware (the
authentication classes need none), JSON only, persistent database
connections. Settings from the environment:

  API_DB       postgres://user@host:port/db (the bench's private PostgreSQL)
  JWT_PUBLIC   the PEM file of the RSA key the bench signs tokens with
  JWT_ISSUER, JWT_AUDIENCE   the claims simplejwt checks

Run by gunicorn: gunicorn whoami_drf:application. `python3 whoami_drf.py
setup USERNAME` migrates Django's tables (auth, authtoken) and prints
"<user id> <token key>" for a new user.
"""

import os
import sys
from urllib.parse import urlparse

import django
from django.conf import settings

_url = urlparse(os.environ.get("API_DB", "postgres://127.0.0.1/kiln"))
_pub = os.environ.get("JWT_PUBLIC")

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-a-secret-0123456789",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                    "rest_framework", "rest_framework.authtoken"],
    MIDDLEWARE=[],
    DATABASES={"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": str(_url.port or 5432),
        "CONN_MAX_AGE": None,  # persistent connections
    }},
    REST_FRAMEWORK={
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework.authentication.TokenAuthentication",
            "rest_framework_simplejwt.authentication.JWTAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": [
            "rest_framework.permissions.AllowAny"],
        "UNAUTHENTICATED_USER": None,
    },
    SIMPLE_JWT={
        "ALGORITHM": "RS256",
        "SIGNING_KEY": None,
        "VERIFYING_KEY": open(_pub).read() if _pub else None,
        "ISSUER": os.environ.get("JWT_ISSUER"),
        "AUDIENCE": os.environ.get("JWT_AUDIENCE"),
        "USER_ID_CLAIM": "user_id",
    },
    USE_TZ=True,
)
django.setup()

from django.urls import path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402


class WhoAmI(APIView):
    """The user's id and name; anonymous when no credentials came."""

    def get(self, request):
        u = request.user
        if u is None or not u.is_authenticated:
            return Response({"id": None, "name": "anonymous"})
        return Response({"id": u.id, "name": u.get_full_name()})


urlpatterns = [path("api/whoami", WhoAmI.as_view())]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

if __name__ == "__main__" and sys.argv[1:2] == ["setup"]:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0)
    u = User.objects.create_user(sys.argv[2], first_name="Bench",
                                 last_name="User")
    print(u.id, Token.objects.create(user=u).key)

"""bench/django_te/te.py - the TechEmpower database tests on Django, the
anchor for examples/techempower (bench/techempower_bench.sh).

One module: settings, models, views, URLs and the WSGI application, written
the way a Django user would (ORM, a template for /fortunes, JsonResponse).
Run by gunicorn:  TE_DB=postgres://u@127.0.0.1:5432/db gunicorn te:application
TE_DB may also be sqlite:///abs/path.db.
"""

import os
import random
from operator import attrgetter
from urllib.parse import urlparse

import django
from django.conf import settings


def _database():
    url = urlparse(os.environ.get("TE_DB", "sqlite:///tmp/te.db"))
    if url.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.path}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": url.path.lstrip("/"),
        "USER": url.username or "",
        "PASSWORD": url.password or "",
        "HOST": url.hostname or "127.0.0.1",
        "PORT": str(url.port or 5432),
        "CONN_MAX_AGE": None,  # persistent connections, as TechEmpower's
    }


settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-a-secret-0123456789",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    DATABASES={"default": _database()},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [], "OPTIONS": {"loaders": [
                    ("django.template.loaders.locmem.Loader", {
                        "fortunes.html":
                            "<!DOCTYPE html><html><head><title>Fortunes</title>"
                            "</head><body><table><tr><th>id</th><th>message"
                            "</th></tr>{% for f in fortunes %}<tr><td>{{ f.id }}"
                            "</td><td>{{ f.message }}</td></tr>{% endfor %}"
                            "</table></body></html>"})]}}],
    USE_TZ=False,
)
django.setup()

from django.db import models  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.template import loader  # noqa: E402
from django.urls import path  # noqa: E402


class World(models.Model):
    randomnumber = models.IntegerField(db_column="randomnumber")

    class Meta:
        app_label = "te"
        db_table = "world"
        managed = False


class Fortune(models.Model):
    message = models.CharField(max_length=2048)

    class Meta:
        app_label = "te"
        db_table = "fortune"
        managed = False


def _count(request, name):
    try:
        n = int(request.GET.get(name, "1"))
    except ValueError:
        n = 1
    return min(max(n, 1), 500)


def db(request):
    w = World.objects.get(id=random.randint(1, 10000))
    return JsonResponse({"id": w.id, "randomNumber": w.randomnumber})


def queries(request):
    out = []
    for _ in range(_count(request, "queries")):
        w = World.objects.get(id=random.randint(1, 10000))
        out.append({"id": w.id, "randomNumber": w.randomnumber})
    return JsonResponse(out, safe=False)


def fortunes(request):
    fs = list(Fortune.objects.all())
    fs.append(Fortune(id=0, message="Additional fortune added at request time."))
    fs.sort(key=attrgetter("message"))
    html = loader.get_template("fortunes.html").render({"fortunes": fs})
    return HttpResponse(html, content_type="text/html; charset=utf-8")


def updates(request):
    ws = []
    for _ in range(_count(request, "queries")):
        w = World.objects.get(id=random.randint(1, 10000))
        w.randomnumber = random.randint(1, 10000)
        ws.append(w)
    ws.sort(key=attrgetter("id"))
    World.objects.bulk_update(ws, ["randomnumber"])
    return JsonResponse([{"id": w.id, "randomNumber": w.randomnumber}
                         for w in ws], safe=False)


def plaintext(request):
    return HttpResponse(b"Hello, World!", content_type="text/plain")


urlpatterns = [
    path("db", db),
    path("queries", queries),
    path("fortunes", fortunes),
    path("updates", updates),
    path("plaintext", plaintext),
]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

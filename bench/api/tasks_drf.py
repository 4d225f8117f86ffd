"""bench/api/tasks_drf.py - the task API of bench/api_bench.py in Django
REST Framework, the anchor for Kiln's generated CRUD API.

One module: settings, models (on the tables Kiln's migration made),
a ModelSerializer, a ModelViewSet and a router, written the way the DRF
tutorial writes them. DEBUG off, JSON only, no authentication (the Kiln
side has none either), cursor pagination by id with pages of 20 (Kiln's
default: no COUNT per page).
Run by gunicorn:  API_DB=postgres://u@127.0.0.1:5432/db gunicorn tasks_drf:application
"""

import os
from urllib.parse import urlparse

import django
from django.conf import settings

_url = urlparse(os.environ.get("API_DB", "postgres://127.0.0.1/kiln"))

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-a-secret-0123456789",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                    "rest_framework"],
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
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [
            "rest_framework.permissions.AllowAny"],
        "UNAUTHENTICATED_USER": None,
        "DEFAULT_PAGINATION_CLASS":
            "rest_framework.pagination.CursorPagination",
        "PAGE_SIZE": 20,
    },
    USE_TZ=False,
)
django.setup()

from django.db import models  # noqa: E402
from django.urls import include, path  # noqa: E402
from rest_framework import pagination, routers, serializers, viewsets  # noqa: E402,E501


class Project(models.Model):
    name = models.CharField(max_length=80)

    class Meta:
        app_label = "tasks"
        db_table = "project"
        managed = False


class Task(models.Model):
    STATUS = [("todo", "todo"), ("doing", "doing"), ("done", "done")]
    PRIORITY = [("low", "low"), ("normal", "normal"), ("high", "high")]

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    description = models.TextField(null=True, blank=True)
    status = models.CharField(max_length=5, choices=STATUS, default="todo")
    priority = models.CharField(max_length=6, choices=PRIORITY,
                                default="normal")
    due = models.DateField(null=True, blank=True)

    class Meta:
        app_label = "tasks"
        db_table = "task"
        managed = False


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "project", "title", "description", "status",
                  "priority", "due"]


class ById(pagination.CursorPagination):
    ordering = "id"


class TaskViewSet(viewsets.ModelViewSet):
    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    pagination_class = ById


router = routers.DefaultRouter()
router.register("tasks", TaskViewSet)
urlpatterns = [path("api/", include(router.urls))]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

"""The admin of the task model, as the Django documentation writes one:
the same columns (the project's name through the foreign key), filter,
search, ordering and page size as the Kiln side's [admin] table."""

from django.contrib import admin

from .models import Project, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "project", "status", "priority", "due")
    list_filter = ("status",)
    search_fields = ("title",)
    ordering = ("-id",)
    list_per_page = 100
    list_select_related = ("project",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    search_fields = ("name",)

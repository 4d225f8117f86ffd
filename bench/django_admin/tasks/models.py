"""The board's task, trimmed (bench/admin_bench.py), on the tables Kiln's
migration made (managed = False: Django never creates or alters them)."""

from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=80)

    class Meta:
        app_label = "tasks"
        db_table = "project"
        managed = False

    def __str__(self):
        return self.name


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

    def __str__(self):
        return self.title

"""Heartbeats: the last time a periodic job ran, read by /healthz and /metrics."""

from django.db import models


class Heartbeat(models.Model):
    # "beat": written by the `monitoring.heartbeat` task that Celery beat schedules, so a
    # fresh row means beat, the broker and a worker all work.
    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()
    node = models.CharField(max_length=200, blank=True, help_text="Host and process that wrote it last.")

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"

"""Beat ticks `heartbeat` every 30 s; a worker writes the time. Several beats (one per node)
only write the same row more often."""

import os
import socket

from celery import shared_task
from django.utils import timezone

from monitoring.models import Heartbeat

BEAT = "beat"


def record_heartbeat(*, name: str, now=None) -> None:
    # One upsert: two nodes writing the first heartbeat at once cannot collide.
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=now or timezone.now(), node=f"{socket.gethostname()}:{os.getpid()}")],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["at", "node"],
    )


@shared_task(name="monitoring.heartbeat", ignore_result=True)
def heartbeat() -> None:
    record_heartbeat(name=BEAT)

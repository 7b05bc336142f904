"""The checks behind /healthz. Each returns (ok, detail); details name no host or secret.

Right after this process starts (HEALTH_START_GRACE_SECONDS), a beat that has not ticked
yet, or messages that fell due while everything was stopped, are "starting", not failures:
beat's first tick and the dispatcher's catch-up come within the first minute of a start."""

import os
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from monitoring.models import Heartbeat
from monitoring.tasks import BEAT
from notifications.models import Message
from notifications.selectors import backlog

# When this process started: the grace for beat and the outbox runs from here (a monotonic
# clock for the grace itself; the wall clock to tell a tick of this run from an older one).
STARTED = time.monotonic()
STARTED_AT = timezone.now()
STARTING = "starting"


def starting(now) -> bool:
    return time.monotonic() - STARTED < settings.HEALTH_START_GRACE_SECONDS


def check_database(now) -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return False, "unreachable"
    return True, connection.vendor


def check_broker(now) -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        except redis.RedisError:
            return False, "Redis unreachable"
        return True, "redis"
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", "")
        if not os.access(folder, os.W_OK):
            return False, "broker folder missing or read-only"
        return True, "filesystem"
    return True, "not checked for this transport"


def check_beat(now) -> tuple[bool, str]:
    at = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
    age = None if at is None else (now - at).total_seconds()
    if age is None or age > settings.HEALTH_BEAT_MAX_AGE_SECONDS:
        detail = "beat has not ticked yet" if age is None else f"last tick {age:.0f} s ago"
        # A tick from before this start is stale by how long the demo was stopped.
        return (
            (STARTING, f"{STARTING}: {detail}")
            if starting(now) and (at is None or at < STARTED_AT)
            else (False, detail)
        )
    return True, f"last tick {max(age, 0):.0f} s ago"


def check_outbox(now) -> tuple[bool, str]:
    limit = now - timedelta(seconds=settings.HEALTH_OVERDUE_SECONDS)
    overdue = Message.objects.filter(status__in=Message.PENDING, due_at__lt=limit).count()
    if overdue:
        detail = f"{overdue} due messages overdue by more than {settings.HEALTH_OVERDUE_SECONDS} s"
        return (STARTING, f"{STARTING}: {detail}") if starting(now) else (False, detail)
    return True, "nothing overdue"


def check_listener(name: str):
    """The HL7 or worklist listener (monitoring/liveness.py): fresh heartbeat, none (not run on
    this site, or stopped cleanly: not a failure), or stale (killed or hung: a failure)."""

    def check(now) -> tuple[bool, str]:
        at = Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
        if at is None:
            return True, "not running (no heartbeat)"
        age = (now - at).total_seconds()
        if age > settings.LISTENER_MAX_AGE_SECONDS:
            return False, f"no heartbeat for {age:.0f} s"
        return True, f"heartbeat {max(age, 0):.0f} s ago"

    return check


CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "beat": check_beat,
    "outbox": check_outbox,
    "hl7": check_listener("hl7"),
    "worklist": check_listener("worklist"),
}
# These read the database: without it they cannot say anything.
NEEDS_DATABASE = {"beat", "outbox", "hl7", "worklist"}


def run_checks(now=None) -> dict[str, dict]:
    now = now or timezone.now()
    results = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and not results["database"]["ok"]:
            results[name] = {"ok": False, "detail": "database unreachable"}
            continue
        ok, detail = check(now)
        results[name] = {"ok": ok is not False, "detail": detail} | ({STARTING: True} if ok == STARTING else {})
    if results["database"]["ok"]:
        # The backlog is information, not a verdict (the outbox check decides): per channel,
        # how many due messages wait (a receiver that is down) and how long the oldest has.
        results["outbox"]["backlog"] = backlog(now=now)
    return results

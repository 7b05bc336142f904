"""Prometheus metrics.

Under gunicorn every worker is its own process, so process memory cannot hold the figures:
- gauges and delivery counts are read from the database at scrape time (the outbox rows are
  the truth, whichever process or node wrote them);
- request latency and booking conflicts happen in a request, not in a row: they use
  prometheus-client's multi-process mode when PROMETHEUS_MULTIPROC_DIR is set (our gunicorn
  config sets it), and this process's registry otherwise (`make dev`, tests).
"""

import os

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from monitoring.models import Heartbeat
from monitoring.tasks import BEAT
from notifications.models import Message

PROCESS = CollectorRegistry(auto_describe=True)

REQUEST_LATENCY = Histogram(
    "galactogram_request_duration_seconds",
    "Time from request to response, by view and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=PROCESS,
)
BOOKING_CONFLICTS = Counter(
    "galactogram_booking_conflicts",
    "Bookings refused because the time was just taken (409).",
    registry=PROCESS,
)

FINAL = {Message.Status.SENT: "sent", Message.Status.FAILED: "failed", Message.Status.SKIPPED: "skipped"}


def record_booking_conflict() -> None:
    BOOKING_CONFLICTS.inc()


class OutboxCollector(Collector):
    """Read at scrape time: correct across processes and nodes."""

    def collect(self):
        now = timezone.now()
        by_status = dict(Message.objects.values_list("status").annotate(n=Count("pk")))
        messages = GaugeMetricFamily("galactogram_outbox_messages", "Outbox messages by status.", labels=["status"])
        for status in Message.Status.values:
            messages.add_metric([status], by_status.get(status, 0))
        yield messages

        oldest = Message.objects.filter(status__in=Message.PENDING, due_at__lte=now).aggregate(m=Min("due_at"))["m"]
        yield GaugeMetricFamily(
            "galactogram_outbox_oldest_due_age_seconds",
            "How long the oldest due, undelivered message has waited (0 when none).",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )

        deliveries = CounterMetricFamily(
            "galactogram_deliveries",
            "Messages whose delivery ended, by channel and result (from the outbox rows).",
            labels=["channel", "result"],
        )
        finished = Message.objects.filter(status__in=list(FINAL)).values_list("channel", "status")
        counts = {(c, s): n for c, s, n in finished.annotate(n=Count("pk")).values_list("channel", "status", "n")}
        for channel in Message.Channel.values:
            for status, result in FINAL.items():
                deliveries.add_metric([channel, result], counts.get((channel, status), 0))
        yield deliveries

        at = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
        if at is not None:
            yield GaugeMetricFamily(
                "galactogram_beat_last_tick_age_seconds",
                "Seconds since Celery beat's heartbeat task last ran.",
                value=max(0.0, (now - at).total_seconds()),
            )


def exposition() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(OutboxCollector())
    return generate_latest(registry)


class _ProcessCollector(Collector):
    def collect(self):
        yield from PROCESS.collect()

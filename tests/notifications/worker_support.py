"""Helpers for tests that run a real Celery worker against real Redis and PostgreSQL."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery import app
from notifications import services
from notifications.models import Message
from tests.factories import MessageFactory

ROOT = Path(__file__).resolve().parents[2]


def make_due_messages(count: int, *, due_at) -> list[int]:
    rows = MessageFactory.build_batch(count, due_at=due_at)
    Message.objects.bulk_create(rows, batch_size=1000)
    return list(Message.objects.order_by("pk").values_list("pk", flat=True))


def wait_until(condition, *, timeout: float, tick=None, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        if condition():
            return True
        time.sleep(interval)
    return condition()


def all_sent(count: int):
    return lambda: Message.objects.filter(status=Message.Status.SENT).count() >= count


def close_other_connections() -> None:
    """Worker threads leave their database connections behind; the test's flush needs them gone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@contextmanager
def in_process_worker(*, queue: str, concurrency: int = 4):
    from celery.contrib.testing.worker import start_worker

    assert not app.conf.task_always_eager
    try:
        with start_worker(
            app, pool="threads", concurrency=concurrency, perform_ping_check=False, queues=[queue], loglevel="WARNING"
        ) as worker:
            yield worker
    finally:
        close_other_connections()


@contextmanager
def broker_at(url: str):
    """Point this process's Celery app at another Redis (a test's own server)."""
    old = app.conf.broker_url
    app.conf.broker_url = url
    app._after_fork()  # drop pooled connections to the old broker
    try:
        yield
    finally:
        app.conf.broker_url = old
        app._after_fork()


def unique_queue(name: str) -> str:
    return f"test-{name}-{uuid.uuid4().hex[:8]}"


class WorkerProcess:
    """A real `celery worker` (prefork) in its own process group, so it can be SIGKILLed."""

    def __init__(self, *, queue: str, sms_dir: Path, broker_url: str, extra_env: dict | None = None):
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": broker_url,
            "SMS_BACKEND": "tests.notifications.recording.RecordingSMSBackend",
            "SMS_FILE_PATH": str(sms_dir),
            "NOTIFICATIONS_QUEUE": queue,
            "NOTIFICATIONS_CLAIM_LEASE_SECONDS": str(settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS),
            "NOTIFICATIONS_SEND_LEASE_SECONDS": str(settings.NOTIFICATIONS_SEND_LEASE_SECONDS),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PYTHONPATH": str(ROOT),
            **(extra_env or {}),
        }
        self.queue = queue
        self.process = None

    def start(self):
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        self.process = subprocess.Popen(  # noqa: S603 - our own venv's celery
            [
                celery,
                "-A",
                "config",
                "worker",
                "-P",
                "prefork",
                "-c",
                "2",
                "-Q",
                self.queue,
                "--prefetch-multiplier",
                "1",
                "-l",
                "WARNING",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def dispatch_tick():
    services.dispatch_due()


def a_scheduler_in_a_small_department():
    """One room, radiologist and technologist (Mon–Fri 08:00–17:00) and a scheduler's user."""
    from tests.factories import StaffMemberFactory, small_department

    small_department()
    return StaffMemberFactory(scheduler=True).user


def book_move_cancel(procedure, *, scheduler=None) -> int:
    """The radiology services' three SIU events of one appointment, each in its own
    transaction, as a scheduler would do them within a second: book (S12), move (S13), cancel
    (S15). Without a scheduler, a small department is made first. Returns the appointment's id."""
    from datetime import datetime, timedelta
    from datetime import time as clock

    from django.utils import timezone

    from radiology.services.booking import book_appointment
    from radiology.services.cancellation import cancel_appointment
    from radiology.services.rescheduling import reschedule_appointment
    from tests.factories import PatientFactory, a_weekday

    scheduler = scheduler or a_scheduler_in_a_small_department()
    start = timezone.make_aware(datetime.combine(a_weekday(7), clock(15)))
    appointment = book_appointment(
        patient=PatientFactory(),
        procedure=procedure,
        start=start,
        duration_minutes=45,
        actor=scheduler,
        side="right",
        indication="bloody",
    )
    reschedule_appointment(appointment_id=appointment.pk, start=start + timedelta(hours=1), actor=scheduler)
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")
    return appointment.pk


def closed_port() -> int:
    """A local port nothing listens on (a receiver that is down: connection refused)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

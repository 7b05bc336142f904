"""Immediate outbox delivery (issue #19): how soon the EHR's MLLP receiver hears of a change.

A throw-away PostgreSQL database, a real `celery worker` (prefork) on Redis and a real MLLP
receiver (the tests' strict hl7apy one, answering AA). No beat tick runs: what arrives comes
by the immediate path alone. Samples of the two figures are interleaved, so both see the same
machine load:
(a) the SIU chain of one appointment: book, move, cancel (three transactions, as a scheduler
    would within a second) until the receiver has S12, S13 and S15, in order. The baseline is
    the dispatcher's tick interval (NOTIFICATIONS_DISPATCH_SECONDS, 30 s in service): before
    this change each of the three waited for a tick of its own (one per row of an order key),
    so the chain took about three ticks. Goal: all three under 5 s;
(b) one due-now HL7 message from the commit of its transaction to the receiver (a booking's
    S12): median and p95. Goal: median < 2 s;
(c) from the radiologist's final signature (the report service called, her password checked)
    to the ORU^R01 at the receiver. Goal: median < 2 s.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; BENCH_REDIS_DB (default 15) is the Redis
database used. BENCH_SAMPLES (default 8) per figure. About 40 s.
"""

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TINY = os.environ.get("BENCH_TINY") == "1"  # CI: once, to prove the bench still runs
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "1" if TINY else "8"))


def bench_broker_url() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{os.environ.get('BENCH_REDIS_DB', '15')}"))


class TimedList(list):
    """The receiver's `received`, with the moment each message arrived."""

    def __init__(self):
        super().__init__()
        self.times = []

    def append(self, item):
        self.times.append(time.perf_counter())
        super().append(item)


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("skipped: needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
        return 0
    os.environ["REDIS_URL"] = bench_broker_url()
    sys.path.insert(0, str(ROOT / "bench"))
    from _django import bench_database

    with bench_database(f"immediate_{os.getpid()}"):
        return run(broker=os.environ["REDIS_URL"])


def start_worker(*, broker, queue, receiver_port, sms_dir):
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker,
        "DJANGO_CONN_MAX_AGE": "600",
        "DJANGO_DEBUG": "false",
        "HL7_OUT_HOST": "127.0.0.1",
        "HL7_OUT_PORT": str(receiver_port),
        "HL7_OUT_MESSAGES": "siu",  # the SIU chain is what this bench counts
        "SMS_BACKEND": "tests.notifications.recording.RecordingSMSBackend",
        "SMS_FILE_PATH": str(sms_dir),
        "EMAIL_MODE": "locmem",
        "NOTIFICATIONS_QUEUE": queue,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    command = [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "-P", "prefork", "-c", "2"]
    command += ["-Q", queue, "--prefetch-multiplier", "1", "-l", "WARNING"]
    command += ["--without-heartbeat", "--without-mingle", "--without-gossip"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 - our venv's celery


def run(*, broker) -> int:
    from datetime import datetime, timedelta
    from datetime import time as clock

    import redis
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from notifications.tasks import noop
    from procedures.models import Procedure
    from radiology.services.booking import book_appointment
    from radiology.services.cancellation import cancel_appointment
    from radiology.services.reports import save_report
    from radiology.services.rescheduling import reschedule_appointment
    from tests.factories import (
        DEFAULT_PASSWORD,
        AppointmentFactory,
        PatientFactory,
        StaffMemberFactory,
        a_weekday,
        small_department,
    )
    from tests.radiology.encoders.siu.receiver import MLLPReceiver

    receiver = MLLPReceiver()
    receiver.received = TimedList()
    queue = f"bench-immediate-{uuid.uuid4().hex[:8]}"
    settings.NOTIFICATIONS_QUEUE = queue
    settings.HL7_OUT_HOST, settings.HL7_OUT_PORT = "127.0.0.1", receiver.port
    settings.HL7_OUT_MESSAGES = ["siu"]
    small_department()
    scheduler = StaffMemberFactory(scheduler=True).user
    galactogram = Procedure.objects.get(slug="galactogram")
    client = redis.Redis.from_url(broker)
    worker = start_worker(broker=broker, queue=queue, receiver_port=receiver.port, sms_dir=Path(tempfile.mkdtemp()))
    tick = settings.CELERY_BEAT_SCHEDULE["dispatch-due-messages"]["schedule"]

    def arrived(count: int, timeout: float = 15) -> float:
        deadline = time.perf_counter() + timeout
        while len(receiver.received) < count and time.perf_counter() < deadline:
            time.sleep(0.002)
        if len(receiver.received) < count:
            raise RuntimeError(f"only {len(receiver.received)} of {count} messages arrived")
        return receiver.received.times[count - 1]

    def book(start):
        committed = {}
        with transaction.atomic():  # the first on-commit callback: before the outbox's publish
            transaction.on_commit(lambda: committed.setdefault("at", time.perf_counter()))
            appointment = book_appointment(
                patient=PatientFactory(),
                procedure=galactogram,
                start=start,
                duration_minutes=45,
                actor=scheduler,
                side="right",
                indication="bloody",
            )
        return appointment, committed["at"]

    def chain(start) -> float:
        seen = len(receiver.received)
        began = time.perf_counter()
        appointment, _ = book(start)
        reschedule_appointment(appointment_id=appointment.pk, start=start + timedelta(hours=1), actor=scheduler)
        cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")
        last = arrived(seen + 3)
        events = [r.event for r in receiver.received[seen:]]
        assert events == ["S12", "S13", "S15"], events
        return last - began

    radiologist = StaffMemberFactory(radiologist=True)

    def oru(start) -> float:
        """From the radiologist's "Sign as final" (the service call, her password checked) to
        the ORU^R01 at the receiver."""
        seen = len(receiver.received)
        exam = AppointmentFactory(status="performed", start=start, radiologist=radiologist)
        settings.HL7_OUT_MESSAGES = ["siu", "oru"]
        try:
            began = time.perf_counter()
            save_report(
                appointment_id=exam.pk,
                actor=radiologist.user,
                findings="Single duct opacified; no filling defect.",
                impression="Normal ductogram.",
                assessment="1",
                recommendation="routine",
                final=True,
                password=DEFAULT_PASSWORD,
            )
        finally:
            settings.HL7_OUT_MESSAGES = ["siu"]
        last = arrived(seen + 1)
        assert receiver.received[seen].event == "R01", receiver.received[seen].event
        return last - began

    def single(start) -> float:
        seen = len(receiver.received)
        appointment, committed = book(start)
        last = arrived(seen + 1)
        cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")
        arrived(seen + 2)  # its S15, so that the next sample starts with nothing in flight
        return last - committed

    try:
        # Wait for the worker: a no-op task through the same queue.
        noop.apply_async(queue=queue)
        deadline = time.perf_counter() + 30
        while (client.llen(queue) or client.hlen("unacked")) and time.perf_counter() < deadline:
            time.sleep(0.05)
        chains, singles, orus = [], [], []
        for i in range(SAMPLES):
            day = timezone.make_aware(datetime.combine(a_weekday(7 + i), clock(9)))
            chains.append(chain(day))
            singles.append(single(day + timedelta(hours=4)))
            orus.append(oru(day + timedelta(hours=6)))
    finally:
        worker.send_signal(signal.SIGTERM)  # a warm shutdown: the main process stops its pool
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        client.delete(queue)
        receiver.stop()

    duplicates = len(receiver.received) - len({r.control_id for r in receiver.received})

    def line(samples):
        ordered = sorted(samples)
        p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
        median = statistics.median(ordered)
        return f"median {median:.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s over {len(ordered)}"

    chain_median = statistics.median(chains)
    print("worker: prefork x2 on Redis; a real MLLP receiver (strict hl7apy parse); no beat tick")
    print(f"(a) SIU chain book + move + cancel to the receiver: {line(chains)}")
    print(f"    baseline: the dispatcher tick, {tick:.0f} s (one tick per row of an order key: ~{3 * tick:.0f} s)")
    print(f"    ratio (median / one tick): {chain_median / tick:.3f}; goal: all three under 5 s")
    print(f"(b) a due-now HL7 message, commit to receiver: {line(singles)}; goal: median < 2 s")
    print(f"(c) final signature to the ORU^R01 at the receiver: {line(orus)}; goal: median < 2 s")
    print(f"    ratio (median / one tick): {statistics.median(orus) / tick:.3f}")
    print(f"    duplicates at the receiver: {duplicates}")
    ok = max(chains) < 5 and statistics.median(singles) < 2 and statistics.median(orus) < 2 and duplicates == 0
    print("OK" if ok else "BELOW GOAL")
    return 0 if duplicates == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Earlier-slot offers (issue 21 B): how soon a freed time reaches the first waiting patient,
and what twenty clicks on one offer do.

A throw-away PostgreSQL database and a real `celery worker` (prefork) on Redis; the SMS
gateway is the file backend (one JSON file per text, as a gateway would receive it). No beat
tick runs: the first offer comes by the immediate path alone (the round planned in the
cancel's transaction, its task published on commit, the offer's text delivered at once).
(a) from the cancellation's commit to the first offer's text at the gateway: median and p95
    over BENCH_SAMPLES cancellations (each with a patient on the list booked later).
    Goal: median < 5 s. The baseline is the beat's tick (30 s), which alone would take it;
(b) twenty concurrent clicks on one offer's "Yes, I take this time" (the portal page, twenty
    threads each with its own HTTP client and database connection): one appointment moved,
    the others shown "this time is yours", 0 errors (no 5xx, no second booking).

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; BENCH_REDIS_DB (default 15) is the Redis
database used. BENCH_SAMPLES (default 8). About 30 s.
"""

import json
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
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "8"))
CLICKS = 20
# Offers are not sent in SMS quiet hours; the bench measures the path, whatever the hour.
os.environ["SMS_QUIET_HOURS_START"] = os.environ["SMS_QUIET_HOURS_END"] = "00:00"


def bench_broker_url() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{os.environ.get('BENCH_REDIS_DB', '15')}"))


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("skipped: needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
        return 0
    os.environ["REDIS_URL"] = bench_broker_url()
    sys.path.insert(0, str(ROOT / "bench"))
    from _django import bench_database

    with bench_database(f"offers_{os.getpid()}"):
        return run(broker=os.environ["REDIS_URL"])


def start_worker(*, broker, queue, sms_dir):
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker,
        "DJANGO_CONN_MAX_AGE": "600",
        "DJANGO_DEBUG": "false",
        "HL7_OUT_MESSAGES": "",
        "SMS_BACKEND": "notifications.channels.sms.FileSMSBackend",
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


def offers_at_gateway(sms_dir: Path) -> set[str]:
    found = set()
    for path in sms_dir.glob("*.json"):
        try:
            key = json.loads(path.read_text())["idempotency_key"]
        except (ValueError, OSError):
            continue  # written as we read
        if key.startswith("offer:"):
            found.add(key)
    return found


def run(*, broker) -> int:
    from datetime import datetime, timedelta
    from datetime import time as clock

    import redis
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from notifications.tasks import noop
    from procedures.models import Procedure
    from radiology.models import Appointment, SlotOffer
    from radiology.services import waiting_list
    from radiology.services.booking import book_appointment
    from radiology.services.cancellation import cancel_appointment
    from radiology.services.patient_links import offer_path
    from tests.factories import OrderFactory, PatientFactory, StaffMemberFactory, a_weekday, small_department
    from tests.race import race

    queue = f"bench-offers-{uuid.uuid4().hex[:8]}"
    settings.NOTIFICATIONS_QUEUE = queue
    settings.HL7_OUT_MESSAGES = []
    sms_dir = Path(tempfile.mkdtemp())
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "notifications.channels.sms.FileSMSBackend", str(sms_dir)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    small_department()
    scheduler = StaffMemberFactory(scheduler=True).user
    galactogram = Procedure.objects.get(slug="galactogram")
    client = redis.Redis.from_url(broker)
    worker = start_worker(broker=broker, queue=queue, sms_dir=sms_dir)
    tick = settings.CELERY_BEAT_SCHEDULE["advance-offer-rounds"]["schedule"]

    def waiting_patient(start):
        patient = PatientFactory()
        order = OrderFactory(patient=patient, procedure=galactogram, received_at=timezone.now() - timedelta(days=40))
        book_appointment(
            patient=patient, procedure=galactogram, start=start, duration_minutes=45, actor=scheduler, order=order
        )
        waiting_list.join_waiting_list(patient=patient, source="scheduler")
        return patient

    def first_offer(day) -> float:
        freed = book_appointment(
            patient=PatientFactory(), procedure=galactogram, start=day, duration_minutes=45, actor=scheduler
        )
        waiting_patient(day + timedelta(days=14))
        seen = offers_at_gateway(sms_dir)
        committed = {}
        with transaction.atomic():  # the first on-commit callback: before the round's publish
            transaction.on_commit(lambda: committed.setdefault("at", time.perf_counter()))
            cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request")
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            if offers_at_gateway(sms_dir) - seen:
                arrived = time.perf_counter()
                break
            time.sleep(0.002)
        else:
            raise RuntimeError("no offer reached the gateway in 30 s")
        # The list is left empty for the next sample: this patient got her offer.
        for offer in SlotOffer.objects.filter(round__freed_appointment=freed):
            waiting_list.leave_waiting_list(entry_id=offer.entry_id)
        return arrived - committed["at"]

    try:
        noop.apply_async(queue=queue)  # wait for the worker: a no-op through the same queue
        deadline = time.perf_counter() + 30
        while (client.llen(queue) or client.hlen("unacked")) and time.perf_counter() < deadline:
            time.sleep(0.05)
        # One weekday per sample, each a different day (a_weekday(n) maps Saturday and Sunday
        # to the same Monday: two samples booking one time would collide).
        days, ahead = [], 7
        while len(days) < SAMPLES + 1:
            if (weekday := a_weekday(ahead)) not in days:
                days.append(weekday)
            ahead += 1
        samples = []
        for i in range(SAMPLES):
            day = timezone.make_aware(datetime.combine(days[i], clock(9)))
            samples.append(first_offer(day))

        # (b) twenty clicks on one live offer.
        offer = SlotOffer.objects.filter(state="held").select_related("patient").first()
        if offer is None:  # every sample's offer was answered: make one more
            day = timezone.make_aware(datetime.combine(days[SAMPLES], clock(11)))
            first_offer(day)
            offer = SlotOffer.objects.filter(state="held").select_related("patient").first()
        path = offer_path(offer.pk)

        def click():
            response = Client().post(path, {"answer": "accept"})
            return response.status_code

        began = time.perf_counter()
        codes = race(*[click for _ in range(CLICKS)], timeout=60)
        took = time.perf_counter() - began
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        client.delete(queue)

    errors = [c for c in codes if not isinstance(c, int) or c >= 400]
    booked = Appointment.objects.filter(patient=offer.patient, start=offer.start).count()
    appointments = Appointment.objects.filter(patient=offer.patient).exclude(status="cancelled").count()
    ordered = sorted(samples)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    median = statistics.median(ordered)
    print("worker: prefork x2 on Redis; SMS gateway: one file per text; no beat tick")
    print(
        f"(a) cancellation commit to the first offer at the SMS gateway: median {median:.2f} s, "
        f"p95 {p95:.2f} s, max {ordered[-1]:.2f} s over {len(ordered)}; goal: median < 5 s"
    )
    print(f"    baseline: the beat's tick, {tick:.0f} s; ratio (median / tick): {median / tick:.3f}")
    print(
        f"(b) {CLICKS} concurrent clicks on one offer: {booked} booked at the offered time, "
        f"{appointments} appointment(s) for her, {len(errors)} errors, in {took:.2f} s"
    )
    ok = median < 5 and booked == 1 and appointments == 1 and not errors
    print("OK" if ok else "BELOW GOAL")
    return 0 if (booked == 1 and appointments == 1 and not errors) else 1


if __name__ == "__main__":
    sys.exit(main())

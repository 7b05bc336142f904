"""Reminder dispatch throughput: 50,000 due messages through a real worker and Redis.

Builds a throw-away PostgreSQL database, starts a real `celery worker` (prefork, one process
per core), and measures:
- baseline: as many no-op Celery tasks through the same worker and broker (tasks/s);
- dispatch: 50,000 due outbox rows claimed by the dispatcher and delivered by send tasks
  through the recording SMS backend (messages/s), with duplicates and lost counted.
Goal (issue 24): messages/s >= 0.8 x the no-op baseline at 50,000 due, zero duplicates, zero
lost; the drain time (the first claim to the last row sent) is printed.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL. BENCH_REDIS_DB (default 15) is the Redis
database used, so that nothing else's queues are counted. BENCH_MESSAGES changes the size.
"""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TINY = os.environ.get("BENCH_TINY") == "1"  # CI: once, to prove the bench still runs
COUNT = int(os.environ.get("BENCH_MESSAGES", "200" if TINY else "50000"))
CORES = os.cpu_count() or 2


def bench_broker_url() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{os.environ.get('BENCH_REDIS_DB', '15')}"))


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("skipped: needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
        return 0
    broker = bench_broker_url()
    os.environ["REDIS_URL"] = broker
    sys.path.insert(0, str(ROOT / "bench"))
    from _django import bench_database
    from django.db import connection

    sms_dir = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    with bench_database(f"dispatch_{os.getpid()}"):
        return run(broker=broker, db_name=connection.settings_dict["NAME"], sms_dir=sms_dir, queue=queue)


def start_worker(*, broker, db_name, sms_dir, queue):
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db_name}",
        "REDIS_URL": broker,
        "DJANGO_CONN_MAX_AGE": "600",
        "DJANGO_DEBUG": "false",
        "SMS_BACKEND": "tests.notifications.recording.RecordingSMSBackend",
        "SMS_FILE_PATH": str(sms_dir),
        "SMS_QUIET_HOURS_START": "00:00",
        "SMS_QUIET_HOURS_END": "00:00",
        "NOTIFICATIONS_QUEUE": queue,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    celery = str(Path(sys.executable).parent / "celery")
    process = subprocess.Popen(
        [
            celery,
            "-A",
            "config",
            "worker",
            "-P",
            "prefork",
            "-c",
            str(CORES),
            "-Q",
            queue,
            "--prefetch-multiplier",
            "1",
            "-l",
            "WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    time.sleep(3)  # let the pool start before the clock does
    return process


def broker_idle(redis_client, queue) -> bool:
    return redis_client.llen(queue) == 0 and redis_client.hlen("unacked") == 0


def run(*, broker, db_name, sms_dir, queue) -> int:
    import redis
    from django.conf import settings
    from django.utils import timezone

    from notifications import services
    from notifications.models import Message
    from notifications.tasks import noop
    from tests.notifications.recording import deliveries

    settings.NOTIFICATIONS_QUEUE = queue
    settings.SMS_FILE_PATH = str(sms_dir)
    client = redis.Redis.from_url(broker)
    client.delete(queue, "unacked", "unacked_index")
    worker = start_worker(broker=broker, db_name=db_name, sms_dir=sms_dir, queue=queue)
    try:
        # Baseline: no-op tasks, the same count, the same worker and broker.
        started = time.perf_counter()
        with noop.app.producer_or_acquire() as producer:
            for _ in range(COUNT):
                noop.apply_async(queue=queue, producer=producer)
        while not broker_idle(client, queue):
            time.sleep(0.05)
        noop_rate = COUNT / (time.perf_counter() - started)

        now = timezone.now()
        Message.objects.bulk_create(
            [
                Message(
                    subject=f"bench:{i}",
                    audience="patient",
                    recipient=f"+1202555{i % 10000:04d}",
                    channel="sms",
                    kind="prep",
                    context={
                        "first_name": "Ana",
                        "start_at": now.isoformat(),
                        "tz": "America/New_York",
                        "place": "Radiology, Level 2",
                        "clinic_name": "Bench",
                        "clinic_phone": "+1 555 0100",
                    },
                    due_at=now,
                    idempotency_key=f"bench:{i}",
                )
                for i in range(COUNT)
            ],
            batch_size=2000,
        )
        started = time.perf_counter()
        deadline = started + 1800
        while Message.objects.filter(status="sent").count() < COUNT and time.perf_counter() < deadline:
            services.dispatch_due()  # the beat's tick, more often than every 30 s
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        sent = Message.objects.filter(status="sent").count()
        message_rate = sent / elapsed
    finally:
        import signal

        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        client.delete(queue)

    keys = Counter(d["key"] for d in deliveries(sms_dir / "deliveries.log"))
    duplicates = sum(n - 1 for n in keys.values() if n > 1)
    lost = COUNT - len(keys)
    ratio = message_rate / noop_rate
    print(f"worker: prefork x{CORES}, prefetch 1, acks_late; send chunk {settings.NOTIFICATIONS_SEND_CHUNK}")
    print(f"no-op task baseline:  {noop_rate:8.0f} tasks/s   ({COUNT} tasks)")
    print(f"reminder dispatch:    {message_rate:8.0f} messages/s ({sent} sent in {elapsed:.1f} s)")
    print(f"drain time:           {elapsed:8.1f} s   ({COUNT} due at once)")
    print(f"ratio:                {ratio:8.2f}   (goal >= 0.8)")
    print(f"duplicates: {duplicates}   lost: {lost}")
    ok = duplicates == 0 and lost == 0 and ratio >= 0.8
    print("OK" if ok else "BELOW GOAL")
    return 0 if duplicates == 0 and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

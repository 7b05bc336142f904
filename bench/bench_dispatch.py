"""Reminder dispatch throughput: 50,000 due messages through a real worker and Redis.

Builds a throw-away PostgreSQL database, starts a real `celery worker` (prefork, one process
per core), fills the outbox with 50,000 rows due at once (all of them in the table before the
first claim: the claim must not slow with the backlog), then drains it in samples interleaved
with the baseline, on the same worker and broker:
  no-op sample, dispatch sample, no-op sample, dispatch sample, …, no-op sample
- a no-op sample: as many no-op Celery tasks as a dispatch sample has messages (tasks/s);
- a dispatch sample: one dispatcher tick (the beat's `dispatch_due`, its in-flight cap set to
  the sample's size) claims the next part of the backlog and the send tasks deliver it through
  the recording SMS backend (messages/s), until the broker holds nothing.
Every row is drained, so the drain time is measured, not projected: the sum of the dispatch
samples, and the wall clock from the first claim to the last row sent with the no-op samples
between. Duplicates and lost are counted from the backend's log of every send call.
Goal (issue 24): messages/s >= 0.8 x the no-op tasks/s at 50,000 due, 0 duplicates, 0 lost.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL. BENCH_REDIS_DB (default 15) is the Redis
database used, so that nothing else's queues are counted. BENCH_MESSAGES changes the size,
BENCH_SAMPLES the number of dispatch samples it is drained in (default 10).
"""

import os
import signal
import statistics
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
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "2" if TINY else "10"))
CORES = os.cpu_count() or 2
KEY_PREFIX = "bench:"


def bench_broker_url() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{os.environ.get('BENCH_REDIS_DB', '15')}"))


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("skipped: needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
        return 0
    broker = bench_broker_url()
    os.environ["REDIS_URL"] = broker
    # The bench process is the dispatcher; the worker below has its own environment.
    os.environ.setdefault("SMS_QUIET_HOURS_START", "00:00")
    os.environ.setdefault("SMS_QUIET_HOURS_END", "00:00")
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
    process = subprocess.Popen(  # noqa: S603 - our own venv's celery
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
        stdout=subprocess.DEVNULL,
    )
    time.sleep(3)  # let the pool start before the clock does
    return process


def wait_for_idle(redis_client, queue, *, timeout: float = 600) -> None:
    """Until the broker holds nothing: send tasks are acknowledged late, so an empty queue and
    no unacknowledged message means every claimed row of the sample has been handled."""
    deadline = time.perf_counter() + timeout
    while redis_client.llen(queue) or redis_client.hlen("unacked"):
        if time.perf_counter() > deadline:
            raise TimeoutError("the worker did not empty the queue")
        time.sleep(0.02)


def backlog_rows(count: int, now):
    from notifications.models import Message

    context = {
        "first_name": "Ana",
        "start_at": now.isoformat(),
        "tz": "America/New_York",
        "place": "Radiology, Level 2",
        "clinic_name": "Bench",
        "clinic_phone": "+1 555 0100",
    }
    return [
        Message(
            subject=f"{KEY_PREFIX}{i}",
            audience="patient",
            recipient=f"+1202555{i % 10000:04d}",
            channel="sms",
            kind="prep",
            context=context,
            due_at=now,
            idempotency_key=f"{KEY_PREFIX}{i}",
        )
        for i in range(count)
    ]


def queries_per_send_task() -> tuple[int, int]:
    """Queries of one send task (a chunk of the configured size), counted in this process on rows
    of their own before the backlog is made; they are removed again."""
    from _django import count_queries
    from django.conf import settings
    from django.utils import timezone

    from notifications import services
    from notifications.models import Message

    chunk = settings.NOTIFICATIONS_SEND_CHUNK
    rows = backlog_rows(chunk, timezone.now())
    for row in rows:
        row.idempotency_key = row.subject = f"probe:{row.idempotency_key}"
    Message.objects.bulk_create(rows)
    ids, token = services.claim_due(now=timezone.now(), limit=chunk)
    queries = count_queries(lambda: services.deliver_messages(message_ids=ids, token=token))
    Message.objects.filter(pk__in=ids).delete()
    return chunk, queries


def run(*, broker, db_name, sms_dir, queue) -> int:
    import redis
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from notifications import services
    from notifications.models import Message
    from notifications.tasks import noop
    from tests.notifications.recording import deliveries

    settings.NOTIFICATIONS_QUEUE = queue
    settings.SMS_FILE_PATH = str(sms_dir)
    chunk, queries = queries_per_send_task()
    client = redis.Redis.from_url(broker)  # emptied: the probe's claim published its task
    client.delete(queue, "unacked", "unacked_index")

    Message.objects.bulk_create(backlog_rows(COUNT, timezone.now()), batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_message")  # as autovacuum would after such a load
    due = Message.objects.filter(status="scheduled", due_at__lte=timezone.now()).count()

    per_sample = -(-COUNT // SAMPLES)
    noop_samples, dispatch_samples = [], []  # (count, seconds)
    ticks = []  # (backlog when the tick began, seconds the tick took)
    worker = start_worker(broker=broker, db_name=db_name, sms_dir=sms_dir, queue=queue)

    def noop_sample():
        started = time.perf_counter()
        with noop.app.producer_or_acquire() as producer:
            for _ in range(per_sample):
                noop.apply_async(queue=queue, producer=producer)
        wait_for_idle(client, queue)
        noop_samples.append((per_sample, time.perf_counter() - started))

    try:
        noop_sample()
        first_claim = time.perf_counter()
        remaining = due
        while remaining:
            settings.NOTIFICATIONS_MAX_IN_FLIGHT = min(per_sample, remaining)
            started = time.perf_counter()
            claimed = services.dispatch_due()  # one beat tick: claims the sample, hands it to Celery
            tick = time.perf_counter() - started
            if not claimed:
                break  # rows left unclaimed are counted as lost below
            wait_for_idle(client, queue)
            last_sent = time.perf_counter()
            ticks.append((remaining, tick))
            dispatch_samples.append((claimed, last_sent - started))
            remaining -= claimed
            noop_sample()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        client.delete(queue)

    keys = Counter(d["key"] for d in deliveries(sms_dir / "deliveries.log") if d["key"].startswith(KEY_PREFIX))
    sent = Message.objects.filter(status="sent", idempotency_key__startswith=KEY_PREFIX).count()
    print(f"worker: prefork x{CORES}, prefetch 1, acks_late; send chunk {chunk}")
    print(f"queries per send task: {queries} for {chunk} messages ({queries / chunk:.1f} per message)")
    print(f"backlog: {due} rows due in the table at the first claim; claim batch {settings.NOTIFICATIONS_BATCH_SIZE}")
    return report(
        noop_samples=noop_samples,
        dispatch_samples=dispatch_samples,
        ticks=ticks,
        due=due,
        sent=sent,
        wall=last_sent - first_claim if dispatch_samples else 0.0,
        duplicates=sum(n - 1 for n in keys.values() if n > 1),
        lost=COUNT - len(keys),
    )


def report(*, noop_samples, dispatch_samples, ticks, due, sent, wall, duplicates, lost) -> int:
    def rate(sample):
        count, seconds = sample
        return count / seconds

    print("  backlog  tick ms  messages/s | no-op before, after (tasks/s)")
    pair_ratios = []
    for i, (sample, (backlog, tick)) in enumerate(zip(dispatch_samples, ticks, strict=True)):
        before, after = rate(noop_samples[i]), rate(noop_samples[i + 1])
        pair_ratios.append(rate(sample) / statistics.mean([before, after]))
        print(f"  {backlog:7d} {tick * 1000:8.0f} {rate(sample):11.0f} | {before:6.0f}, {after:6.0f}")
    noop_count, noop_seconds = map(sum, zip(*noop_samples, strict=True))
    drained, drain = map(sum, zip(*dispatch_samples, strict=True)) if dispatch_samples else (0, 0.0)
    noop_rate = noop_count / noop_seconds
    message_rate = drained / drain if drain else 0.0
    ratio = message_rate / noop_rate
    print(f"no-op task baseline:  {noop_rate:8.0f} tasks/s    ({noop_count} in {len(noop_samples)} samples)")
    print(f"reminder dispatch:    {message_rate:8.0f} messages/s ({sent} sent in {len(dispatch_samples)} samples)")
    print(f"drain time:           {drain:8.1f} s of dispatch for {due} due at once")
    print(f"                      {wall:8.1f} s wall clock, first claim to last sent, no-op samples between")
    if pair_ratios:
        median, low, high = statistics.median(pair_ratios), min(pair_ratios), max(pair_ratios)
        print(f"ratio:                {ratio:8.2f}   (goal >= 0.8)")
        print(
            f"                      each sample against its no-op neighbours: median {median:.2f}, {low:.2f}-{high:.2f}"
        )
    print(f"duplicates: {duplicates}   lost: {lost}")
    print("OK" if duplicates == 0 and lost == 0 and ratio >= 0.8 else "BELOW GOAL")
    return 0 if duplicates == 0 and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

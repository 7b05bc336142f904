"""A real `celery worker` process SIGKILLed in the middle of a batch, then restarted.

Crash semantics (docs/reminders.md): a row claimed but never started is claimed again when
its lease runs out; a row whose send had started is `unknown` and the provider is asked
about its idempotency key before any resend. So nothing is lost and nothing is sent twice.
"""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from notifications import services
from notifications.models import Message
from tests.notifications.recording import deliveries
from tests.notifications.worker_support import WorkerProcess, all_sent, make_due_messages, unique_queue, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_batch_and_restarted_loses_nothing_and_sends_nothing_twice(recording_sms, settings):
    settings.NOTIFICATIONS_QUEUE = unique_queue("crash")
    # Long enough for a worker that starts slowly on a busy machine to take its first claims
    # before they are handed out again (a 4 s lease let the beat re-claim everything faster
    # than a slow worker got through the stale tasks, and it never caught up).
    settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS = 15
    settings.NOTIFICATIONS_SEND_LEASE_SECONDS = 4
    count = 300
    make_due_messages(count, due_at=timezone.now() - timedelta(minutes=1))
    worker = WorkerProcess(
        queue=settings.NOTIFICATIONS_QUEUE,
        sms_dir=recording_sms.parent,
        broker_url=django_settings.REDIS_URL,
        extra_env={"SMS_RECORDING_DELAY": "0.01"},
    )
    try:
        services.dispatch_due()
        worker.start()
        # The beat keeps ticking meanwhile, as in service: on a busy machine the worker may come
        # up after the 4 s claim lease, and a tick hands the rows out again.
        assert wait_until(
            lambda: len(deliveries(recording_sms)) >= 40,
            timeout=90,
            tick=_every_second(services.dispatch_due),
            interval=0.02,
        )
        worker.kill()  # SIGKILL to the whole process group, mid-batch
        sent_before_restart = len(deliveries(recording_sms))
        assert sent_before_restart < count, "the worker finished before it could be killed"
        interrupted = Message.objects.filter(status="sending").count()

        worker.start()
        done = wait_until(all_sent(count), timeout=90, tick=services.dispatch_due, interval=0.5)
    finally:
        worker.stop()

    assert interrupted > 0
    assert done
    keys = Counter(d["key"] for d in deliveries(recording_sms))
    assert len(keys) == count
    assert max(keys.values()) == 1


def _every_second(tick):
    """`tick`, at most once a second however often it is called."""
    last = [float("-inf")]

    def maybe():
        if time.monotonic() - last[0] >= 1:
            last[0] = time.monotonic()
            tick()

    return maybe

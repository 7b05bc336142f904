"""The immediate path through a real Celery worker, Redis, PostgreSQL and a real MLLP receiver
(never eager mode; in CI a missing Redis fails these tests): no beat tick runs here."""

import time

import pytest

from notifications.models import Message
from tests.notifications.worker_support import (
    a_scheduler_in_a_small_department,
    book_move_cancel,
    in_process_worker,
    unique_queue,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_book_move_and_cancel_within_a_second_reach_the_receiver_in_order_within_five_seconds(
    mllp_receiver, settings, galactogram, monkeypatch
):
    from notifications import services

    monkeypatch.setattr(services, "dispatch_due", None)  # no tick in this test's process
    settings.NOTIFICATIONS_QUEUE = unique_queue("immediate")
    scheduler = a_scheduler_in_a_small_department()
    with in_process_worker(queue=settings.NOTIFICATIONS_QUEUE, concurrency=2):
        started = time.monotonic()
        book_move_cancel(galactogram, scheduler=scheduler)
        planned_in = time.monotonic() - started
        arrived = wait_until(lambda: len(mllp_receiver.received) >= 3, timeout=10, interval=0.05)
        elapsed = time.monotonic() - started
        wait_until(lambda: Message.objects.filter(status="sent").count() == 3, timeout=5)
        time.sleep(0.5)  # anything sent twice would arrive by now

    assert arrived
    assert [(r.event, r.answer) for r in mllp_receiver.received] == [("S12", "AA"), ("S13", "AA"), ("S15", "AA")]
    assert all(r.error == "" for r in mllp_receiver.received)
    # The scenario is three changes within a second; on a loaded machine the booking services
    # themselves may take longer, and that time is not the outbox's to answer for.
    allowed = 5 + max(0.0, planned_in - 1)
    assert elapsed < allowed, f"the third message arrived after {elapsed:.2f} s (changes took {planned_in:.2f} s)"
    assert Message.objects.filter(channel="hl7", status="sent").count() == 3

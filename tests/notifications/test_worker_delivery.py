"""Delivery through a real Celery worker, real Redis and PostgreSQL (never eager mode)."""

import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import Message
from scheduling.clinic_time import clinic_zone
from tests.notifications.recording import deliveries
from tests.notifications.worker_support import (
    all_sent,
    broker_at,
    in_process_worker,
    make_due_messages,
    unique_queue,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(settings):
    settings.NOTIFICATIONS_QUEUE = unique_queue("delivery")
    return settings.NOTIFICATIONS_QUEUE


def assert_each_delivered_once(log, count):
    keys = Counter(d["key"] for d in deliveries(log))
    assert len(keys) == count, "lost messages"
    assert max(keys.values()) == 1, f"sent twice: {[k for k, n in keys.items() if n > 1][:5]}"
    assert Message.objects.filter(status=Message.Status.SENT).count() == count


def test_a_thousand_due_messages_are_each_delivered_exactly_once(queue, recording_sms):
    make_due_messages(1000, due_at=timezone.now() - timedelta(minutes=1))

    with in_process_worker(queue=queue):
        # Exactly once is the point; the time only guards against a hang (about 15 s alone, and
        # several times that when the suite's other worker runs a browser or a Celery test beside it).
        done = wait_until(all_sent(1000), timeout=240, tick=services.dispatch_due, interval=0.5)

    assert done
    assert_each_delivered_once(recording_sms, 1000)


def test_two_dispatchers_ticking_at_once_send_nothing_twice(queue, recording_sms):
    make_due_messages(400, due_at=timezone.now() - timedelta(minutes=1))
    claimed = []
    start = threading.Barrier(2)

    def beat():
        start.wait()
        for _ in range(5):
            claimed.append(services.dispatch_due())
        from django.db import connection

        connection.close()

    with in_process_worker(queue=queue):
        beats = [threading.Thread(target=beat) for _ in range(2)]
        for thread in beats:
            thread.start()
        for thread in beats:
            thread.join()
        done = wait_until(all_sent(400), timeout=60, tick=services.dispatch_due)

    assert done
    assert sum(claimed) == 400
    assert_each_delivered_once(recording_sms, 400)


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, without persistence, on another port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
            import redis

            assert wait_until(lambda: _pings(redis, port), timeout=10, interval=0.05)

        def stop(self):
            self.process.terminate()
            self.process.wait(timeout=10)

    server = Server()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def _pings(redis, port):
    try:
        return redis.Redis(port=port).ping()
    except redis.exceptions.ConnectionError:
        return False


def test_redis_stopped_and_restarted_between_claim_and_delivery_delays_messages_but_loses_none(
    queue, recording_sms, own_redis, settings
):
    settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS = 2
    make_due_messages(100, due_at=timezone.now() - timedelta(minutes=1))

    with broker_at(own_redis.url):
        assert services.dispatch_due() == 100  # claimed and handed to Redis...
        own_redis.stop()  # ...which forgets them (no persistence)
        own_redis.start()
        assert Message.objects.filter(status="sending").count() == 100
        with in_process_worker(queue=queue):
            time.sleep(1)
            assert deliveries(recording_sms) == []  # nothing came through the restarted Redis
            done = wait_until(all_sent(100), timeout=30, tick=services.dispatch_due, interval=0.5)

    assert done
    assert_each_delivered_once(recording_sms, 100)


def test_a_dispatcher_tick_while_redis_is_down_leaves_the_rows_for_later(queue, recording_sms, own_redis, settings):
    settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS = 2
    make_due_messages(20, due_at=timezone.now() - timedelta(minutes=1))

    with broker_at(own_redis.url):
        own_redis.stop()
        services.dispatch_due()  # cannot enqueue: logged, rows keep their lease
        own_redis.start()
        with in_process_worker(queue=queue):
            done = wait_until(all_sent(20), timeout=30, tick=services.dispatch_due, interval=0.5)

    assert done
    assert_each_delivered_once(recording_sms, 20)


def test_a_reschedule_and_a_cancel_withdraw_what_they_should_before_the_worker_sees_it(queue, recording_sms, settings):
    settings.SMS_QUIET_HOURS_START = settings.SMS_QUIET_HOURS_END = "00:00"  # whatever the hour of the run
    from radiology.services.booking import book_appointment
    from radiology.services.cancellation import cancel_appointment
    from radiology.services.rescheduling import reschedule_appointment
    from tests.factories import PatientFactory, StaffMemberFactory, a_weekday, small_department

    small_department(rooms=1, radiologists=1, technologists=1)
    scheduler = StaffMemberFactory(scheduler=True).user
    now = timezone.now()
    day = a_weekday(days_ahead=2)
    from datetime import datetime, time

    from procedures.models import Procedure

    galactogram = Procedure.objects.get(slug="galactogram")

    def book(hour):
        return book_appointment(
            patient=PatientFactory(),
            procedure=galactogram,
            start=datetime.combine(day, time(hour), tzinfo=clinic_zone()),
            duration_minutes=45,
            actor=scheduler,
            lead_time_override_reason="Urgent",
            now=now,
        )

    moved, cancelled = book(9), book(11)
    new_start = datetime.combine(a_weekday(days_ahead=12), time(10), tzinfo=clinic_zone())
    reschedule_appointment(appointment_id=moved.pk, start=new_start, actor=scheduler, now=now)
    cancel_appointment(appointment_id=cancelled.pk, actor=scheduler, reason_code="patient_request", now=now)

    with in_process_worker(queue=queue):
        assert wait_until(
            lambda: (
                not Message.objects.filter(status__in=["sending"]).exists()
                and not Message.objects.filter(status="scheduled", due_at__lte=timezone.now()).exists()
            ),
            timeout=30,
            tick=services.dispatch_due,
            interval=0.5,
        )

    sent = sorted(d["key"].split(":", 2)[2] for d in deliveries(recording_sms))
    versions = {moved.pk: 2, cancelled.pk: 1}
    expected = []
    if Message.objects.filter(subject=f"appointment:{moved.pk}", kind="prep", subject_version=2).exists():
        expected.append(f"v{versions[moved.pk]}:prep:patient")
    expected.append("v2:moved:patient")
    assert [k for k in sent if k.startswith("v2")] == sorted(expected)
    assert Message.objects.filter(subject=f"appointment:{moved.pk}", subject_version=1, status="sent").count() == 0
    cancelled_sends = [
        d["key"] for d in deliveries(recording_sms) if d["key"].startswith(f"appointment:{cancelled.pk}:")
    ]
    assert cancelled_sends == [f"appointment:{cancelled.pk}:v1:cancelled:patient"]

"""The immediate path: a row due now is handed to Celery when its transaction commits, and the
next row of an order key when the one before it ends. Tasks run eagerly here (in the calling
thread); tests/notifications/test_immediate_worker.py runs them through a real worker."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications import services
from notifications.models import Message
from tests.factories import MessageFactory
from tests.notifications.recording import deliveries
from tests.notifications.worker_support import book_move_cancel, closed_port

S = Message.Status
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def planned(n: int = 1, *, due_in=timedelta(0), order_key=None, start=0) -> list[Message]:
    due = timezone.now() + due_in
    return [MessageFactory.build(due_at=due, order_key=order_key, idempotency_key=f"now:{start + i}") for i in range(n)]


def sent_keys(log) -> list[str]:
    return [d["key"] for d in deliveries(log)]


def test_a_row_due_now_is_sent_when_its_transaction_commits_not_before(eager_tasks, recording_sms):
    with transaction.atomic():
        services.schedule_messages(messages=planned())
        assert sent_keys(recording_sms) == []  # still inside the transaction
        assert Message.objects.get().status == S.SCHEDULED

    assert sent_keys(recording_sms) == ["now:0"]
    assert Message.objects.get().status == S.SENT


def test_a_rolled_back_plan_sends_nothing(eager_tasks, recording_sms):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.schedule_messages(messages=planned())
        raise RuntimeError("the booking failed after planning its message")

    assert sent_keys(recording_sms) == []
    assert not Message.objects.exists()


def test_a_row_due_later_waits_for_the_tick(eager_tasks, recording_sms):
    services.schedule_messages(messages=planned(due_in=timedelta(minutes=10)) + planned(start=1))

    assert sent_keys(recording_sms) == ["now:1"]
    assert Message.objects.get(idempotency_key="now:0").status == S.SCHEDULED


def test_a_plan_repeated_with_the_same_keys_sends_once(eager_tasks, recording_sms):
    services.schedule_messages(messages=planned())
    services.schedule_messages(messages=planned())

    assert sent_keys(recording_sms) == ["now:0"]


def test_a_broker_that_is_down_leaves_the_row_for_the_tick(recording_sms, monkeypatch, caplog):
    from notifications.tasks import deliver_now

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(deliver_now, "apply_async", down)
    services.schedule_messages(messages=planned())

    assert Message.objects.get().status == S.SCHEDULED
    assert "the dispatcher's tick sends them" in caplog.text
    assert services.claim_due(now=timezone.now(), limit=10)[0] == [Message.objects.get().pk]


def test_rows_of_one_order_key_go_one_after_another_without_a_tick(eager_tasks, recording_sms, monkeypatch):
    monkeypatch.setattr(services, "dispatch_due", None)  # a tick would fail the test
    services.schedule_messages(messages=planned(3, order_key="order:7"))
    assert Message.objects.filter(status=S.SENT).count() == 3
    with transaction.atomic():  # and a fourth planned later, in its own transaction
        services.schedule_messages(messages=planned(1, order_key="order:7", start=3))

    assert sent_keys(recording_sms) == ["now:0", "now:1", "now:2", "now:3"]
    sent = list(Message.objects.order_by("pk").values_list("sent_at", flat=True))
    assert sent == sorted(sent)


def test_the_next_row_is_not_brought_forward_when_it_is_due_later(eager_tasks, recording_sms):
    services.schedule_messages(
        messages=planned(1, order_key="order:8") + planned(1, order_key="order:8", due_in=timedelta(hours=1), start=1)
    )

    assert sent_keys(recording_sms) == ["now:0"]
    assert Message.objects.get(idempotency_key="now:1").status == S.SCHEDULED


def test_the_tick_first_then_the_on_commit_task_sends_once(recording_sms):
    message = MessageFactory(due_at=timezone.now())
    ids, token = services.claim_due(now=timezone.now(), limit=10)

    assert services.deliver_now(message_ids=[message.pk]) == {message.pk: "not-claimed"}
    assert services.deliver_messages(message_ids=ids, token=token) == {message.pk: "sent"}
    assert sent_keys(recording_sms) == [message.idempotency_key]


def test_the_on_commit_task_first_then_the_tick_sends_once(recording_sms):
    message = MessageFactory(due_at=timezone.now())

    assert services.deliver_now(message_ids=[message.pk]) == {message.pk: "sent"}
    assert services.claim_due(now=timezone.now(), limit=10) == ([], None)
    assert sent_keys(recording_sms) == [message.idempotency_key]


def test_a_tick_and_on_commit_tasks_racing_in_threads_send_each_row_once(eager_tasks, recording_sms):
    rows = MessageFactory.create_batch(60, due_at=timezone.now() - timedelta(seconds=1))
    rows += MessageFactory.create_batch(3, due_at=timezone.now() - timedelta(seconds=1), order_key="order:9")
    ids = [row.pk for row in rows]
    start = threading.Barrier(3)

    def run(work):
        try:
            start.wait()
            work()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(services.dispatch_due,)),  # send tasks run eagerly after its commit
        threading.Thread(target=run, args=(lambda: services.deliver_now(message_ids=ids),)),
        threading.Thread(target=run, args=(lambda: services.deliver_now(message_ids=ids[::-1]),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    services.dispatch_due()  # whatever a lost race left (a later row of order:9) goes now

    keys = sent_keys(recording_sms)
    assert sorted(keys) == sorted(row.idempotency_key for row in rows) and len(keys) == len(set(keys))
    assert Message.objects.filter(status=S.SENT).count() == 63
    ordered = [key for key in keys if key in {row.idempotency_key for row in rows[60:]}]
    assert ordered == [row.idempotency_key for row in rows[60:]]


# --- HL7 over a real MLLP receiver ------------------------------------------------------


def events(receiver) -> list[tuple[str, str]]:
    return [(r.event, r.answer) for r in receiver.received]


def test_book_move_cancel_reach_the_receiver_in_order_at_commit(eager_tasks, mllp_receiver, galactogram):
    book_move_cancel(galactogram)

    assert events(mllp_receiver) == [("S12", "AA"), ("S13", "AA"), ("S15", "AA")]
    assert all(r.error == "" for r in mllp_receiver.received)
    assert Message.objects.filter(channel="hl7", status=S.SENT).count() == 3


def test_a_rejected_message_holds_the_ones_behind_it_until_its_retry_is_accepted(
    eager_tasks, mllp_receiver, galactogram, settings
):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0  # the retry is due at the next tick
    mllp_receiver.answers[:] = ["AR"]
    book_move_cancel(galactogram)

    assert events(mllp_receiver) == [("S12", "AR")]  # S13 and S15 did not overtake it
    hl7 = Message.objects.filter(channel="hl7").order_by("pk")
    assert list(hl7.values_list("status", flat=True)) == [S.SCHEDULED] * 3

    services.dispatch_due()  # the retry; the other two follow it at once, without another tick

    assert events(mllp_receiver) == [("S12", "AR"), ("S12", "AA"), ("S13", "AA"), ("S15", "AA")]
    assert len({r.control_id for r in mllp_receiver.received}) == 3


def test_a_receiver_that_is_down_keeps_the_messages_waiting_in_order_and_shown(
    eager_tasks, mllp_receiver, galactogram, settings, client
):
    from monitoring.tasks import record_heartbeat
    from tests.factories import StaffMemberFactory

    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0
    settings.HL7_OUT_PORT = closed_port()  # down: connection refused
    book_move_cancel(galactogram)
    hl7 = Message.objects.filter(channel="hl7").order_by("pk")
    assert list(hl7.values_list("attempts", flat=True)) == [1, 0, 0]
    assert "unreachable" in hl7.first().last_error

    services.dispatch_due()  # still down: a second attempt, the others still wait
    record_heartbeat(name="beat")
    health = client.get("/healthz").json()
    assert health["checks"]["outbox"]["backlog"]["hl7"]["waiting"] == 3
    assert health["checks"]["outbox"]["backlog"]["hl7"]["retrying"] == 1
    client.force_login(StaffMemberFactory(scheduler=True).user)
    page = client.get("/messages/problems/").text
    assert "HL7 v2 (MLLP)</td><td>3</td><td>1</td>" in page

    settings.HL7_OUT_PORT = mllp_receiver.port  # back
    services.dispatch_due()

    assert events(mllp_receiver) == [("S12", "AA"), ("S13", "AA"), ("S15", "AA")]
    assert list(hl7.values_list("status", flat=True)) == [S.SENT] * 3
    assert "hl7" not in client.get("/healthz").json()["checks"]["outbox"]["backlog"]

"""The outbox's claim and delivery rules, with a frozen clock and the file SMS backend."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import opt_out, registry, services
from notifications.channels import Outgoing, PermanentError, TransientError
from notifications.channels.sms import FileSMSBackend
from notifications.models import Message
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York: outside quiet hours
S = Message.Status


def claim(now=NOW, limit=100):
    ids, token = services.claim_due(now=now, limit=limit)
    return ids, token


def sms_files(directory):
    return [json.loads(p.read_text()) for p in directory.glob("*.json")] if directory.exists() else []


def test_a_due_message_is_claimed_once_with_a_lease(settings):
    message = MessageFactory(due_at=NOW - timedelta(minutes=1))

    first, token = claim()
    second, _ = claim()

    message.refresh_from_db()
    assert first == [message.pk] and second == []
    assert message.status == S.SENDING
    assert message.claim_token == token
    assert message.lease_until == NOW + timedelta(seconds=settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS)


def test_a_message_not_yet_due_is_not_claimed():
    MessageFactory(due_at=NOW + timedelta(seconds=1))

    assert claim() == ([], None)


def test_claims_take_the_longest_overdue_first():
    late = MessageFactory(due_at=NOW - timedelta(hours=2))
    MessageFactory(due_at=NOW - timedelta(minutes=1))

    ids, _ = claim(limit=1)

    assert ids == [late.pk]


def test_delivery_sends_the_sms_and_records_it_as_sent(sms_dir):
    message = MessageFactory(due_at=NOW)
    ids, token = claim()

    outcome = services.deliver_message(message_id=message.pk, token=token, now=NOW)

    message.refresh_from_db()
    assert outcome == "sent"
    assert (message.status, message.sent_at, message.attempts) == (S.SENT, NOW, 1)
    assert message.provider_id.startswith("file-")
    [sms] = sms_files(sms_dir)
    assert sms["to"] == message.recipient
    assert sms["idempotency_key"] == message.idempotency_key
    assert "Hi Ana" in sms["text"]


def test_an_email_goes_out_with_a_plain_text_and_an_html_part():
    message = MessageFactory(channel="email", recipient="ana@example.org", due_at=NOW)
    _, token = claim()

    services.deliver_message(message_id=message.pk, token=token, now=NOW)

    [email] = mail.outbox
    assert email.to == ["ana@example.org"]
    assert "How to prepare" in email.subject
    assert "do not squeeze the nipple" in email.body
    assert email.alternatives[0].mimetype == "text/html"
    assert email.extra_headers["Message-ID"].startswith("<")


def test_a_stale_token_delivers_nothing(sms_dir):
    message = MessageFactory(due_at=NOW)
    claim()

    outcome = services.deliver_message(message_id=message.pk, token="00000000-0000-0000-0000-000000000000", now=NOW)

    assert outcome == "not-mine"
    assert sms_files(sms_dir) == []


def test_a_second_celery_message_for_the_same_claim_delivers_nothing(sms_dir):
    message = MessageFactory(due_at=NOW)
    _, token = claim()

    services.deliver_message(message_id=message.pk, token=token, now=NOW)
    again = services.deliver_message(message_id=message.pk, token=token, now=NOW)

    assert again == "not-mine"
    assert len(sms_files(sms_dir)) == 1


def test_a_claimed_message_withdrawn_before_its_worker_starts_is_not_sent(sms_dir):
    message = MessageFactory(due_at=NOW)
    _, token = claim()

    services.withdraw_messages(subject=message.subject, now=NOW, reason="cancelled")
    outcome = services.deliver_message(message_id=message.pk, token=token, now=NOW)

    message.refresh_from_db()
    assert (outcome, message.status) == ("not-mine", S.CANCELLED)
    assert sms_files(sms_dir) == []


def test_withdrawing_leaves_sent_messages_alone():
    sent = MessageFactory(status=S.SENT, sent_at=NOW)

    assert services.withdraw_messages(subject=sent.subject, now=NOW, reason="x") == 0


class FlakyBackend:
    error = TransientError("SMS gateway error (HTTP 503)")
    calls = []

    def send(self, outgoing: Outgoing) -> str:
        self.calls.append(outgoing)
        raise self.error

    def lookup(self, key):
        return None


@pytest.fixture
def flaky(settings):
    settings.SMS_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.calls = []
    FlakyBackend.error = TransientError("SMS gateway error (HTTP 503)")
    return FlakyBackend


def test_a_transient_error_makes_the_message_due_again_with_exponential_backoff(flaky, settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    message = MessageFactory(due_at=NOW)
    delays = []
    now = NOW
    for _ in range(3):
        _, token = claim(now=now)
        services.deliver_message(message_id=message.pk, token=token, now=now)
        message.refresh_from_db()
        delays.append((message.due_at - now).total_seconds())
        now = message.due_at

    assert delays == [60, 120, 240]
    assert message.status == S.SCHEDULED
    assert message.attempts == 3
    assert message.last_error == "SMS gateway error (HTTP 503)"
    assert message.check_before_send  # a 5xx may hide a delivery: ask the provider first


def test_after_the_last_attempt_the_message_is_failed_and_kept_for_staff(flaky, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    message = MessageFactory(due_at=NOW)
    now = NOW
    for _ in range(2):
        _, token = claim(now=now)
        services.deliver_message(message_id=message.pk, token=token, now=now)
        message.refresh_from_db()
        now = message.due_at

    assert message.status == S.FAILED
    assert message.last_error.startswith("Gave up after 2 attempts")
    assert message in Message.objects.filter(status__in=Message.PROBLEMS)


def test_a_permanent_error_fails_at_once(flaky):
    flaky.error = PermanentError("SMS gateway refused the message (HTTP 400)")
    message = MessageFactory(due_at=NOW)
    _, token = claim()

    services.deliver_message(message_id=message.pk, token=token, now=NOW)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.FAILED, 1)
    assert "HTTP 400" in message.last_error


def test_a_message_that_cannot_be_rendered_is_retried_later_not_crash_looped(sms_dir):
    message = MessageFactory(due_at=NOW, kind="no_such_kind")
    _, token = claim()

    outcome = services.deliver_message(message_id=message.pk, token=token, now=NOW)

    message.refresh_from_db()
    assert outcome == "retry"
    assert message.status == S.SCHEDULED and message.due_at > NOW
    assert "Could not render" in message.last_error


def test_a_lease_that_runs_out_before_any_attempt_makes_the_row_due_again(settings):
    message = MessageFactory(due_at=NOW)
    claim()
    later = NOW + timedelta(seconds=settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS + 1)

    services.reclaim_expired(now=later)

    message.refresh_from_db()
    assert message.status == S.SCHEDULED
    assert claim(now=later)[0] == [message.pk]


def test_a_send_whose_worker_vanished_becomes_unknown_and_is_checked_with_the_provider(sms_dir, settings):
    message = MessageFactory(due_at=NOW)
    _, token = claim()
    # The worker starts the attempt, the provider takes the SMS, the worker dies before recording it.
    assert services._start_attempts(message_ids=[message.pk], token=token, now=NOW)
    FileSMSBackend().send(Outgoing(recipient=message.recipient, text="x", idempotency_key=message.idempotency_key))
    later = NOW + timedelta(seconds=settings.NOTIFICATIONS_SEND_LEASE_SECONDS + 1)

    services.reclaim_expired(now=later)
    message.refresh_from_db()
    assert message.status == S.UNKNOWN
    _, new_token = claim(now=later)
    outcome = services.deliver_message(message_id=message.pk, token=new_token, now=later)

    message.refresh_from_db()
    assert (outcome, message.status) == ("sent", S.SENT)
    assert len(sms_files(sms_dir)) == 1  # not sent a second time


def test_an_unknown_message_the_provider_never_received_is_sent(sms_dir, settings):
    message = MessageFactory(due_at=NOW)
    _, token = claim()
    services._start_attempts(message_ids=[message.pk], token=token, now=NOW)
    later = NOW + timedelta(seconds=settings.NOTIFICATIONS_SEND_LEASE_SECONDS + 1)

    services.reclaim_expired(now=later)
    _, new_token = claim(now=later)
    services.deliver_message(message_id=message.pk, token=new_token, now=later)

    message.refresh_from_db()
    assert message.status == S.SENT
    assert len(sms_files(sms_dir)) == 1


def test_the_old_worker_finishing_after_its_lease_was_taken_over_records_nothing():
    message = MessageFactory(due_at=NOW)
    _, token = claim()
    services._start_attempts(message_ids=[message.pk], token=token, now=NOW)
    services.reclaim_expired(now=NOW + timedelta(days=1))

    assert services._mark_sent(message, token, NOW, "late-id") == "lost-lease"
    message.refresh_from_db()
    assert message.status == S.UNKNOWN


def test_a_message_past_its_useful_moment_is_skipped_at_send_time(sms_dir):
    message = MessageFactory(due_at=NOW - timedelta(hours=3), expires_at=NOW - timedelta(hours=1))
    _, token = claim()

    services.deliver_message(message_id=message.pk, token=token, now=NOW)

    message.refresh_from_db()
    assert message.status == S.SKIPPED
    assert message.last_error == "Too late to be useful when its turn came."
    assert sms_files(sms_dir) == []


def test_an_sms_whose_turn_comes_in_quiet_hours_waits_for_the_morning(sms_dir):
    night = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)  # 23:00 in New York
    message = MessageFactory(due_at=night, quiet_hours=True)
    _, token = claim(now=night)

    outcome = services.deliver_message(message_id=message.pk, token=token, now=night)

    message.refresh_from_db()
    assert outcome == "deferred"
    assert (message.status, message.attempts) == (S.SCHEDULED, 0)
    assert message.due_at == datetime(2026, 3, 11, 12, 0, tzinfo=UTC)  # 08:00 EDT
    assert sms_files(sms_dir) == []


def test_the_subjects_delivery_handler_runs_with_the_sent_message(sms_dir, monkeypatch):
    seen = []
    monkeypatch.setitem(registry._handlers, "test", registry.SubjectHandlers(on_delivered=seen.append))
    message = MessageFactory(due_at=NOW)
    _, token = claim()

    services.deliver_message(message_id=message.pk, token=token, now=NOW)

    assert [(m.pk, m.status) for m in seen] == [(message.pk, S.SENT)]


def test_a_subject_that_no_longer_wants_the_message_has_it_skipped(sms_dir, monkeypatch):
    monkeypatch.setitem(
        registry._handlers, "test", registry.SubjectHandlers(skip_reason=lambda m: "The appointment is cancelled.")
    )
    message = MessageFactory(due_at=NOW)
    _, token = claim()

    services.deliver_message(message_id=message.pk, token=token, now=NOW)

    message.refresh_from_db()
    assert (message.status, message.last_error) == (S.SKIPPED, "The appointment is cancelled.")


def test_a_send_task_costs_one_query_per_message_beyond_a_few_for_its_chunk(sms_dir):
    def queries_to_deliver(count):
        MessageFactory.create_batch(count, due_at=NOW)
        ids, token = claim()
        with CaptureQueriesContext(connection) as queries:
            assert set(services.deliver_messages(message_ids=ids, token=token, now=NOW).values()) == {"sent"}
        return len(queries)

    three, six = queries_to_deliver(3), queries_to_deliver(6)

    assert six - three == 3  # the "sent" of each, and nothing else per message
    assert three <= 3 + 6  # the chunk's start (in a savepoint here) and its numbers' opt-outs


def test_the_opt_outs_of_a_chunk_are_read_once_and_each_text_to_a_stopped_number_is_skipped(sms_dir):
    opt_out.opt_out(number="+12025550100", now=NOW)
    stopped = MessageFactory(recipient="+12025550100", due_at=NOW)
    other = MessageFactory(recipient="+12025550101", due_at=NOW)
    confirmation = MessageFactory(recipient="+12025550100", due_at=NOW, meta={services.DESPITE_OPT_OUT: True})
    ids, token = claim()

    outcomes = services.deliver_messages(message_ids=ids, token=token, now=NOW)

    assert outcomes == {stopped.pk: "skipped", other.pk: "sent", confirmation.pk: "sent"}
    assert {sms["to"] for sms in sms_files(sms_dir)} == {"+12025550100", "+12025550101"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outcomes_are_committed_without_waiting_for_the_disk_and_the_session_is_given_back_as_it_was(
    sms_dir, monkeypatch
):
    def synchronous_commit():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    during_the_send = []
    monkeypatch.setitem(
        registry._handlers,
        "test",
        registry.SubjectHandlers(context=lambda m: during_the_send.append(synchronous_commit()) or {}),
    )
    message = MessageFactory(due_at=NOW)
    _, token = claim()

    assert services.deliver_message(message_id=message.pk, token=token, now=NOW) == "sent"

    assert during_the_send == ["off"]
    assert synchronous_commit() == "on"
    assert Message.objects.get(pk=message.pk).status == S.SENT


def test_staff_can_send_a_failed_message_again():
    message = MessageFactory(status=S.FAILED, attempts=5, due_at=NOW - timedelta(days=1))

    assert services.send_again(message_id=message.pk, now=NOW)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.due_at) == (S.SCHEDULED, 0, NOW)


def test_the_dispatcher_tick_claims_every_due_row_in_batches(settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 7
    MessageFactory.create_batch(20, due_at=NOW)
    MessageFactory(due_at=NOW + timedelta(hours=1))

    with time_machine.travel(NOW, tick=False):
        claimed = services.dispatch_due()

    assert claimed == 20
    assert Message.objects.filter(status=S.SENDING).count() == 20


def test_the_dispatcher_stops_claiming_when_too_many_are_in_flight(settings):
    settings.NOTIFICATIONS_MAX_IN_FLIGHT = 5
    MessageFactory.create_batch(8, due_at=NOW)

    assert services.dispatch_due(now=NOW) == 5
    assert services.dispatch_due(now=NOW) == 0


def test_the_dispatcher_hands_claimed_rows_to_celery_after_commit(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.NOTIFICATIONS_SEND_CHUNK = 2
    MessageFactory.create_batch(3, due_at=NOW)
    calls = []
    from notifications import tasks

    monkeypatch.setattr(tasks.send_messages, "apply_async", lambda **kw: calls.append(kw))

    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_due(now=NOW)

    assert [len(c["args"][0]) for c in calls] == [2, 1]
    assert {c["queue"] for c in calls} == {settings.NOTIFICATIONS_QUEUE}


def test_a_broker_that_is_down_leaves_the_rows_claimed_until_their_lease_ends(
    django_capture_on_commit_callbacks, monkeypatch
):
    message = MessageFactory(due_at=NOW)
    from notifications import tasks

    def broker_down(**kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.send_messages, "apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_due(now=NOW)

    message.refresh_from_db()
    assert message.status == S.SENDING


def test_a_claim_whose_task_the_broker_lost_is_claimed_again_at_the_next_tick_not_after_the_lease(
    settings, monkeypatch
):
    from notifications import services as outbox

    settings.NOTIFICATIONS_LOST_AFTER_SECONDS = 30
    lost, waiting, recent = MessageFactory.create_batch(3, due_at=NOW)
    _, lost_token = services.claim_due(now=NOW, limit=1)
    _, waiting_token = services.claim_due(now=NOW, limit=1)
    _, recent_token = services.claim_due(now=NOW + timedelta(seconds=25), limit=1)
    # Redis restarted empty for the first claim's task; the second's is still queued.
    monkeypatch.setattr(outbox, "tokens_in_broker", lambda: {str(waiting_token)})

    assert services.reclaim_lost(now=NOW + timedelta(seconds=31)) == 1

    states = {m.pk: (m.status, m.claim_token) for m in Message.objects.all()}
    assert states[lost.pk] == (S.SCHEDULED, None)
    assert states[waiting.pk] == (S.SENDING, waiting_token)
    assert states[recent.pk] == (S.SENDING, recent_token), "a task published a moment ago may not be queued yet"
    # The old task, should it turn up after all, finds no row with its token.
    assert services.deliver_message(message_id=lost.pk, token=lost_token, now=NOW) == "not-mine"


def test_when_the_broker_cannot_be_read_only_the_lease_decides(settings, monkeypatch):
    from notifications import services as outbox

    message = MessageFactory(due_at=NOW)
    claim()
    monkeypatch.setattr(outbox, "tokens_in_broker", lambda: None)

    assert services.reclaim_lost(now=NOW + timedelta(seconds=120)) == 0
    message.refresh_from_db()
    assert message.status == S.SENDING


def test_a_send_cut_short_by_a_dead_worker_is_taken_up_by_the_tasks_rerun_at_once_asking_the_provider(sms_dir):
    message = MessageFactory(due_at=NOW)
    _, token = claim()
    # The first run starts the attempt, the provider takes the SMS, the worker process dies;
    # Celery runs the same task again (reject_on_worker_lost), seconds later, not after the lease.
    assert services._start_attempts(message_ids=[message.pk], token=token, now=NOW)
    FileSMSBackend().send(Outgoing(recipient=message.recipient, text="x", idempotency_key=message.idempotency_key))

    outcome = services.deliver_message(message_id=message.pk, token=token, now=NOW + timedelta(seconds=5))

    message.refresh_from_db()
    assert (outcome, message.status) == ("sent", S.SENT)
    assert len(sms_files(sms_dir)) == 1, "the provider had it: recorded as sent, not sent again"


def test_the_immediate_task_run_again_after_its_worker_died_finishes_its_own_rows(sms_dir):
    import uuid

    message = MessageFactory(due_at=NOW)
    token = uuid.uuid5(uuid.NAMESPACE_URL, "deliver_now:task-1")
    with time_machine.travel(NOW, tick=False):
        ids, _ = services._claim_locked(now=NOW, limit=1, among=[message.pk], token=token)
        assert ids == [message.pk]
        services._start_attempts(message_ids=ids, token=token, now=NOW)  # then the process died

        outcomes = services.deliver_now(message_ids=[message.pk], now=NOW, token=token)

    assert outcomes == {message.pk: "sent"}
    assert len(sms_files(sms_dir)) == 1

"""The outbox's services: plan, withdraw, claim, deliver.

The life of a row:  scheduled ──claim──▶ sending ──deliver──▶ sent | failed | skipped
                                  ▲          │ (transient error: back to scheduled, later)
                                  │          └─ lease ran out ─▶ scheduled (never started)
                                  └──────────────── unknown ◀── (started, outcome lost)
A claim gives a batch of rows a fresh token and a lease; a send task carries the token, and
only the holder of the current token may start or finish an attempt, so a stale or
duplicated Celery message does nothing. A row whose attempt started and whose worker
vanished is `unknown`: the next attempt asks the provider about its idempotency key first.

Two ways in, one claim. A row planned due now is handed to Celery when its transaction
commits (`deliver_now`: the task claims it and delivers it at once); when a row of an order
key ends (sent, failed, skipped) the next due row of that key is handed on the same way. The
beat's tick (`dispatch_due`) is the safety net for everything else: rows due later, retries,
a broker that was down at commit time, a task lost with its worker. Both claim through
`_claim_locked` (FOR UPDATE SKIP LOCKED, scheduled or unknown → sending with a fresh token),
so whichever comes first sends a row and the other finds nothing to take.
"""

import logging
import uuid
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, F, Min, OuterRef, Q, When
from django.utils import timezone

from notifications import registry, rendering
from notifications.broker import tokens_in_broker
from notifications.channels import LookupUnsupported, PermanentError, TransientError, get_backend
from notifications.models import Message
from notifications.opt_out import opted_out_numbers
from notifications.quiet_hours import out_of_quiet_hours

logger = logging.getLogger(__name__)
S = Message.Status


# --- planning ---------------------------------------------------------------------------


def schedule_messages(*, messages: list[Message], new_subject: bool = False) -> None:
    """Insert planned rows; a row whose idempotency key already exists is left as it is.
    Rows already due go to Celery the moment the caller's transaction commits (nothing is
    sent if it rolls back); rows due later wait for the tick.

    new_subject: the rows are about something created in the caller's transaction (a new
    appointment), so no key can exist yet: a plain insert, which returns the rows' ids
    (PostgreSQL and SQLite), and no second query for the due ones' (a clash would still be
    refused by the unique key)."""
    now = timezone.now()
    if new_subject:
        Message.objects.bulk_create(messages)
        deliver_after_commit(message_ids=[m.pk for m in messages if m.due_at <= now and m.status == S.SCHEDULED])
        return
    Message.objects.bulk_create(messages, ignore_conflicts=True)
    due_keys = [message.idempotency_key for message in messages if message.due_at <= now]
    if due_keys:
        # bulk_create(ignore_conflicts=True) does not return primary keys on PostgreSQL.
        ids = Message.objects.filter(idempotency_key__in=due_keys, status=S.SCHEDULED).values_list("pk", flat=True)
        deliver_after_commit(message_ids=list(ids))


def deliver_after_commit(*, message_ids: list[int]) -> None:
    """When the current transaction commits (at once outside one), ask a worker to claim and
    deliver these rows. Never an ETA: a row not due is simply not claimed."""
    if message_ids:
        transaction.on_commit(partial(enqueue_delivery, message_ids=sorted(message_ids)))


def enqueue_delivery(*, message_ids: list[int]) -> None:
    """Publish one `deliver_now` task for these rows. A broker that is down costs a short wait
    in the committing request, not an error: the rows stay scheduled and the tick takes them."""
    from notifications.tasks import deliver_now

    try:
        deliver_now.apply_async(
            args=[message_ids],
            queue=settings.NOTIFICATIONS_QUEUE,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2},
        )
    except Exception:
        logger.exception("Could not enqueue %d due messages; the dispatcher's tick sends them", len(message_ids))


def withdraw_messages(*, subject: str, now, reason: str, kinds=None, audience=None) -> int:
    """Cancel what has not started: scheduled rows and claimed rows no worker has begun.
    A send already in progress cannot be called back; it finishes or is checked as unknown."""
    pending = Q(status=S.SCHEDULED) | Q(status=S.SENDING, attempt_started_at__isnull=True)
    rows = Message.objects.filter(pending, subject=subject)
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    if audience is not None:
        rows = rows.filter(audience=audience)
    return rows.update(status=S.CANCELLED, last_error=reason[:500], claim_token=None, lease_until=None, updated_at=now)


def readdress_messages(*, subjects: list[str], audience: str, channel: str, recipient: str, language: str, now) -> int:
    """Point the text and e-mail messages of these subjects that have not gone out (scheduled,
    or failed or skipped and so waiting for staff to send them again) at a corrected address:
    a patient's new number, or e-mail instead of text. Quiet hours follow the channel. A send
    already under way finishes to the address it began with."""
    rows = Message.objects.filter(
        subject__in=subjects,
        audience=audience,
        channel__in=[Message.Channel.SMS, Message.Channel.EMAIL],
        status__in=[S.SCHEDULED, S.FAILED, S.SKIPPED],
    )
    return rows.update(
        channel=channel,
        recipient=recipient,
        language=language,
        quiet_hours=channel == Message.Channel.SMS,
        updated_at=now,
    )


# --- claiming ---------------------------------------------------------------------------


def reclaim_expired(*, now) -> int:
    """Rows whose lease ran out: never started → scheduled again; started → unknown."""
    expired = Message.objects.filter(status=S.SENDING, lease_until__lt=now)
    lost = expired.filter(attempt_started_at__isnull=True).update(
        status=S.SCHEDULED, claim_token=None, lease_until=None, updated_at=now
    )
    unknown = expired.filter(attempt_started_at__isnull=False).update(
        status=S.UNKNOWN,
        claim_token=None,
        lease_until=None,
        attempt_started_at=None,
        check_before_send=True,
        last_error="The worker stopped during a send; the provider is checked before any resend.",
        updated_at=now,
    )
    if lost or unknown:
        logger.warning("Reclaimed %d unstarted and %d interrupted messages", lost, unknown)
    return lost + unknown


def reclaim_lost(*, now) -> int:
    """Claimed rows whose send task the broker no longer holds (Redis restarted empty, a
    message dropped) go back to `scheduled` at the next tick rather than after the claim lease.
    Only rows claimed NOTIFICATIONS_LOST_AFTER_SECONDS ago or more: a task published a moment
    ago may not be in the queue yet. Safe against a task still on its way: it carries the old
    token, which no row has any more, so it sends nothing."""
    claimed_before = now - timedelta(seconds=settings.NOTIFICATIONS_LOST_AFTER_SECONDS)
    lease = timedelta(seconds=settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS)
    waiting = Message.objects.filter(
        status=S.SENDING, attempt_started_at__isnull=True, lease_until__lte=claimed_before + lease
    )
    tokens = set(waiting.values_list("claim_token", flat=True).distinct()[:1000])
    if not tokens:
        return 0
    held = tokens_in_broker()
    if held is None:
        return 0
    lost_tokens = [token for token in tokens if str(token) not in held]
    lost = waiting.filter(claim_token__in=lost_tokens).update(
        status=S.SCHEDULED, claim_token=None, lease_until=None, updated_at=now
    )
    if lost:
        logger.warning("%d claimed messages had no task left in the broker; scheduled again", lost)
    return lost


def _waiting_behind_an_earlier_row():
    """An earlier row with the same order key is still on its way (scheduled, sending, unknown).
    Only the head of each key's queue is claimable, so a later row never overtakes it; a row
    that ends sent, failed, skipped or cancelled lets the next one go."""
    return Exists(
        Message.objects.filter(order_key=OuterRef("order_key"), pk__lt=OuterRef("pk"), status__in=Message.PENDING)
    )


def _claim_locked(
    *, now, limit: int, among: list[int] | None = None, token: uuid.UUID | None = None
) -> tuple[list[int], uuid.UUID | None]:
    """The one claim (inside the caller's transaction): up to `limit` due rows, `among` these
    ids when given, locked with FOR UPDATE SKIP LOCKED and moved to `sending` under a fresh
    token. A row a rival has locked is skipped; a row a rival has already claimed is no longer
    scheduled when the lock is taken (PostgreSQL re-reads a locked row's new version), so it
    is not taken twice. An ordered row waits while an earlier row of its key is pending (even
    one a rival has just locked: its status in our snapshot is still pending)."""
    rows = Message.objects.select_for_update(skip_locked=True).filter(
        status__in=[S.SCHEDULED, S.UNKNOWN], due_at__lte=now
    )
    if among is not None:
        rows = rows.filter(pk__in=among)
    ids = list(
        rows.filter(Q(order_key__isnull=True) | ~_waiting_behind_an_earlier_row())
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return [], token
    token = token or uuid.uuid4()
    Message.objects.filter(pk__in=ids, status__in=[S.SCHEDULED, S.UNKNOWN]).update(
        status=S.SENDING,
        claim_token=token,
        lease_until=now + timedelta(seconds=settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS),
        attempt_started_at=None,
        check_before_send=Case(When(status=S.UNKNOWN, then=True), default=F("check_before_send")),
        updated_at=now,
    )
    return ids, token


def claim_due(*, now, limit: int) -> tuple[list[int], uuid.UUID | None]:
    """Claim up to `limit` due rows for this caller (the tick); a second dispatcher running at
    the same moment skips them and takes others. Send tasks are published after commit."""
    with transaction.atomic():
        ids, token = _claim_locked(now=now, limit=limit)
        if ids:
            transaction.on_commit(partial(enqueue_sends, message_ids=ids, token=token))
    return ids, token


def deliver_now(*, message_ids: list[int], now=None, token: uuid.UUID | None = None) -> dict[int, str]:
    """The immediate path (a Celery task, published after the planning commit or after the
    previous row of an order key ended): claim whichever of these rows are due and claimable,
    exactly as the tick would, and deliver them in this task. Rows the tick or another task
    took first, rows not due, rows waiting behind an earlier one: "not-claimed".
    The task passes a token made from its own id, so that when it runs again after its worker
    died, it recognises the rows it had claimed (and perhaps begun) as its own."""
    now = now or timezone.now()
    with transaction.atomic():
        ids, token = _claim_locked(now=now, limit=len(message_ids), among=message_ids, token=token)
        if token is not None:
            ids = sorted(
                set(ids)
                | set(
                    Message.objects.filter(pk__in=message_ids, status=S.SENDING, claim_token=token).values_list(
                        "pk", flat=True
                    )
                )
            )
    outcomes = dict.fromkeys(message_ids, "not-claimed")
    if ids:
        outcomes.update(deliver_messages(message_ids=ids, token=token))
    return outcomes


def enqueue_sends(*, message_ids: list[int], token: uuid.UUID) -> None:
    """Hand claimed rows to Celery in small chunks. If the broker is down the rows keep
    their lease and are reclaimed when it runs out: late, not lost."""
    from notifications.tasks import send_messages

    chunk = settings.NOTIFICATIONS_SEND_CHUNK
    try:
        with send_messages.app.producer_or_acquire() as producer:
            for i in range(0, len(message_ids), chunk):
                send_messages.apply_async(
                    args=[message_ids[i : i + chunk], str(token)],
                    queue=settings.NOTIFICATIONS_QUEUE,
                    producer=producer,
                )
    except Exception:
        logger.exception("Could not enqueue %d messages; they are retried when their lease ends", len(message_ids))


def dispatch_due(*, now=None) -> int:
    """One dispatcher tick: reclaim expired leases, then claim due rows in batches."""
    now = now or timezone.now()
    reclaim_expired(now=now)
    reclaim_lost(now=now)
    in_flight = Message.objects.filter(status=S.SENDING).count()
    room = max(0, settings.NOTIFICATIONS_MAX_IN_FLIGHT - in_flight)
    claimed = 0
    while claimed < room:
        ids, _ = claim_due(now=now, limit=min(settings.NOTIFICATIONS_BATCH_SIZE, room - claimed))
        if not ids:
            break
        claimed += len(ids)
    return claimed


# --- delivering -------------------------------------------------------------------------


def _start_attempts(*, message_ids: list[int], token, now) -> list[Message]:
    """Record, durably and before anything is sent, that these rows' attempts have begun.
    Only rows still claimed with this token are taken: a withdrawn or reclaimed row is left
    alone. A row already started under this very token was started by an earlier run of this
    same task whose worker process died (Celery runs it again: reject_on_worker_lost), so it
    is taken at once, with the provider asked first, instead of after the send lease. No run
    of it can still be alive: the task's time limit is the send lease, well under the broker's
    visibility timeout, the only other way a task runs twice. One transaction for a whole chunk."""
    with transaction.atomic():
        messages = list(
            Message.objects.select_for_update()
            .filter(pk__in=message_ids, status=S.SENDING, claim_token=token)
            .order_by("pk")
        )
        if messages:
            Message.objects.filter(pk__in=[m.pk for m in messages]).update(
                attempt_started_at=now,
                attempts=F("attempts") + 1,
                lease_until=now + timedelta(seconds=settings.NOTIFICATIONS_SEND_LEASE_SECONDS),
                check_before_send=Case(
                    When(attempt_started_at__isnull=False, then=True), default=F("check_before_send")
                ),
                updated_at=now,
            )
    for message in messages:
        if message.attempt_started_at is not None:
            logger.warning(
                "Message %s: its send was cut short by a dead worker; the provider is asked first", message.pk
            )
            message.check_before_send = True
        message.attempts += 1
        message.attempt_started_at = now
    return messages


@contextmanager
def _outcomes_committed_without_waiting_for_the_disk():
    """Outcomes (sent, failed, retry, skipped) are committed with PostgreSQL's synchronous_commit
    off: the commit returns once the server has it, without waiting for its WAL flush (a disk
    flush per message was most of a message's cost). A worker that dies loses nothing by it.
    Only a crash of PostgreSQL itself within the flush delay (3 × wal_writer_delay, 0.6 s by
    default) loses the latest outcomes, and then each such row is as `_start_attempts` left
    it, a commit that did wait: started, so the provider is asked before any resend (the
    crash row of docs/reminders.md). Any later waiting commit (a claim, the next chunk's
    start) flushes these first, so the next row of an order key is never claimed while the
    end of the row before it could still be lost. Not inside a caller's transaction: a
    setting of the session must not change how that transaction commits."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _finish(message: Message, token, now, **fields) -> bool:
    return bool(
        Message.objects.filter(pk=message.pk, status=S.SENDING, claim_token=token).update(
            lease_until=None, attempt_started_at=None, updated_at=now, **fields
        )
    )


def _mark_sent(message: Message, token, now, provider_id: str) -> str:
    """Recorded at once, each message on its own: a worker that dies later in its chunk leaves
    this one sent, not to be asked about again (or, where the provider cannot be asked, resent)."""
    on_delivered = registry.handlers_for(message.subject).on_delivered
    if on_delivered is None:
        # One statement is its own transaction: no BEGIN and COMMIT round trips around it.
        sent = _finish(message, token, now, status=S.SENT, sent_at=now, provider_id=provider_id[:200], last_error="")
        return "sent" if sent else "lost-lease"
    with transaction.atomic():
        if not _finish(message, token, now, status=S.SENT, sent_at=now, provider_id=provider_id[:200], last_error=""):
            return "lost-lease"
        message.status, message.sent_at, message.provider_id = S.SENT, now, provider_id
        on_delivered(message)
    return "sent"


def _retry_or_fail(message: Message, token, now, error: str, *, outcome_unknown: bool) -> str:
    if message.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        _finish(message, token, now, status=S.FAILED, last_error=f"Gave up after {message.attempts} attempts: {error}")
        return "failed"
    backoff = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1)
    # Retries are rows due later, not Celery countdowns: a restart cannot lose them.
    _finish(
        message,
        token,
        now,
        status=S.SCHEDULED,
        due_at=now + timedelta(seconds=backoff),
        claim_token=None,
        last_error=error[:500],
        check_before_send=True if outcome_unknown else F("check_before_send"),
    )
    return "retry"


def deliver_messages(*, message_ids: list[int], token, now=None) -> dict[int, str]:
    """Deliver claimed rows, each once. Returns what happened to each (for logs and tests);
    rows that are not this claim's any more are "not-mine"."""
    token = uuid.UUID(str(token))
    started = _start_attempts(message_ids=message_ids, token=token, now=now or timezone.now())
    outcomes = dict.fromkeys(message_ids, "not-mine")  # withdrawn, reclaimed, or a duplicate Celery message
    opted_out = _opted_out_numbers(started)
    backends = {}
    ended_keys = []
    with _outcomes_committed_without_waiting_for_the_disk():
        for message in started:
            backend = backends.get(message.channel) or backends.setdefault(
                message.channel, get_backend(message.channel)
            )
            outcomes[message.pk] = _deliver_started(message, token, now or timezone.now(), backend, opted_out)
            if message.order_key and outcomes[message.pk] in ENDED:
                ended_keys.append(message.order_key)
    if ended_keys:
        deliver_after_commit(message_ids=next_in_order(order_keys=ended_keys, now=now or timezone.now()))
    return outcomes


# What lets the next row of an order key go (a retry or a deferral keeps it waiting).
ENDED = {"sent", "failed", "skipped"}


def next_in_order(*, order_keys: list[str], now) -> list[int]:
    """The first still-pending row of each key, where it is due: the one the claim now lets go.
    A row whose retry is due later, or that is not due yet, is left for the tick."""
    first_pending = (
        Message.objects.filter(order_key__in=set(order_keys), status__in=Message.PENDING)
        .values("order_key")
        .annotate(first=Min("pk"))
        .values("first")
    )
    heads = Message.objects.filter(pk__in=first_pending).values_list("pk", "status", "due_at")
    return [pk for pk, status, due_at in heads if status != S.SENDING and due_at <= now]


def deliver_message(*, message_id: int, token, now=None) -> str:
    return deliver_messages(message_ids=[message_id], token=token, now=now)[message_id]


def _deliver_started(message: Message, token, now, backend, opted_out: set[str]) -> str:
    handlers = registry.handlers_for(message.subject)
    if message.attempts > settings.NOTIFICATIONS_MAX_ATTEMPTS:
        _finish(message, token, now, status=S.FAILED, last_error=f"Gave up after {message.attempts - 1} attempts.")
        return "failed"
    if message.expires_at is not None and now >= message.expires_at:
        _finish(message, token, now, status=S.SKIPPED, last_error="Too late to be useful when its turn came.")
        return "skipped"
    reason = _opted_out_reason(message, opted_out) or (handlers.skip_reason(message) if handlers.skip_reason else None)
    if reason:
        _finish(message, token, now, status=S.SKIPPED, last_error=reason[:500])
        return "skipped"
    if message.quiet_hours and (later := out_of_quiet_hours(now)) != now:
        _finish(message, token, now, status=S.SCHEDULED, due_at=later, claim_token=None, attempts=F("attempts") - 1)
        return "deferred"
    if message.check_before_send:
        try:
            provider_id = backend.lookup(message.idempotency_key)
        except LookupUnsupported:
            provider_id = None  # resend: the window docs/reminders.md describes
        except TransientError as error:
            return _retry_or_fail(message, token, now, str(error), outcome_unknown=True)
        if provider_id is not None:
            return _mark_sent(message, token, now, provider_id)
    try:
        extra = handlers.context(message) if handlers.context else {}
        outgoing = rendering.render(message, extra)
    except Exception as error:
        logger.exception("Message %s could not be rendered", message.pk)
        return _retry_or_fail(message, token, now, f"Could not render: {type(error).__name__}", outcome_unknown=False)
    try:
        provider_id = backend.send(outgoing)
    except PermanentError as error:
        _finish(message, token, now, status=S.FAILED, last_error=str(error)[:500])
        return "failed"
    except TransientError as error:
        return _retry_or_fail(message, token, now, str(error), outcome_unknown=True)
    return _mark_sent(message, token, now, provider_id)


# An opt-out's one confirmation ("you will get no more texts") is the only text that may go
# to a number after its STOP: carriers expect it, and it says nothing else.
DESPITE_OPT_OUT = "despite_opt_out"


def _texts_that_heed_opt_out(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m.channel == Message.Channel.SMS and not m.meta.get(DESPITE_OPT_OUT)]


def _opted_out_numbers(messages: list[Message]) -> set[str]:
    """The chunk's opted-out numbers, read once when its attempts have begun (one query for
    the chunk, not one per text): a STOP stored after that reaches the chunk's later texts no
    more than it would reach a text already handed to the gateway."""
    return opted_out_numbers(m.recipient for m in _texts_that_heed_opt_out(messages))


def _opted_out_reason(message: Message, opted_out: set[str]) -> str | None:
    """Checked at send time as well as at planning: a text planned before the STOP does not go."""
    if _texts_that_heed_opt_out([message]) and message.recipient in opted_out:
        return "The number replied STOP: no texts until it replies START."
    return None


def send_again(*, message_id: int, now=None) -> bool:
    """Staff: put a failed, skipped or unknown message back in the queue, due now."""
    now = now or timezone.now()
    queued = bool(
        Message.objects.filter(pk=message_id, status__in=Message.PROBLEMS).update(
            status=S.SCHEDULED, due_at=now, expires_at=None, attempts=0, claim_token=None, updated_at=now
        )
    )
    if queued:
        deliver_after_commit(message_ids=[message_id])
    return queued

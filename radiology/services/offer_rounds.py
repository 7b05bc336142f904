"""When time frees, plan an offer round in the same transaction (issue 21 B).

The hooks the services that free time call: cancellation (cancel), workflow (did not
proceed), rescheduling (the time she moved away from) and the time-off admin (time off ended
early or removed). Each writes an OfferRound whose next step is due now; the round is worked
by radiology.services.offers, started right after the commit (a Celery task, so the first
offer goes out within seconds) and otherwise by the beat's tick on `next_step_at`: never a
Celery ETA. This module imports no booking service, so those services can call it.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction

from radiology.models import Appointment, OfferRound, WaitingListEntry

C = OfferRound.Cause
logger = logging.getLogger(__name__)


def _worth_offering(procedure, start: datetime, end: datetime, now: datetime) -> bool:
    # A time inside the no-expression window's short end (24 h) cannot be kept by anyone
    # told now; and with nobody on the list there is no one to tell.
    if end - max(start, now) < timedelta(minutes=min(procedure.allowed_durations)):
        return False
    if start < now + timedelta(hours=procedure.no_expression_window_min_hours):
        start = now + timedelta(hours=procedure.no_expression_window_min_hours)
        if end - start < timedelta(minutes=min(procedure.allowed_durations)):
            return False
    return WaitingListEntry.objects.filter(state=WaitingListEntry.State.WAITING).exists()


def plan_round(
    *, procedure, duration_minutes: int, start: datetime, end: datetime, cause: str, now: datetime, appointment=None
) -> OfferRound | None:
    """An offer round for [start, end), or None when nobody could take it."""
    if not _worth_offering(procedure, start, end, now):
        return None
    offer_round = OfferRound.objects.create(
        procedure=procedure,
        duration_minutes=duration_minutes,
        window_start=start,
        window_end=end,
        cause=cause,
        freed_appointment=appointment,
        next_step_at=now,
        created_at=now,
    )
    transaction.on_commit(partial(start_round, round_id=offer_round.pk))
    return offer_round


def start_round(*, round_id: int) -> None:
    """Ask a worker to make the round's first offer now. A broker that is down costs nothing
    but time: the round is due, and the beat's tick takes it."""
    from celery import current_app
    from django.conf import settings

    try:
        # By name: the tasks sit above the services. The queue of the outbox's immediate
        # deliveries, so the offer's text follows at once.
        current_app.send_task(
            "radiology.advance_offer_round", args=[round_id], queue=settings.NOTIFICATIONS_QUEUE, retry=False
        )
    except Exception:
        logger.exception("Could not enqueue offer round %s; the beat's tick takes it", round_id)


def on_appointment_freed(*, appointment: Appointment, cause: str, now: datetime, start=None, end=None):
    """Cancel, did not proceed, or moved away (start/end: the time it left)."""
    return plan_round(
        procedure=appointment.procedure,
        duration_minutes=appointment.duration_minutes,
        start=start or appointment.start,
        end=end or appointment.end,
        cause=cause,
        now=now,
        appointment=appointment,
    )


def on_time_off_shortened(*, old: tuple[datetime, datetime], new: tuple[datetime, datetime] | None, now: datetime):
    """Time off (or a closure) ended early, started late or was removed: the hours it gave
    back are offered, a round per stretch, for the catalog's galactogram."""
    from procedures.models import Procedure

    procedure = Procedure.objects.filter(active=True).order_by("pk").first()
    if procedure is None:
        return []
    freed = [old] if new is None else [(old[0], min(new[0], old[1])), (max(new[1], old[0]), old[1])]
    rounds = []
    for start, end in freed:
        if start < end:
            planned = plan_round(
                procedure=procedure,
                duration_minutes=min(procedure.allowed_durations),
                start=start,
                end=end,
                cause=C.TIME_OFF,
                now=now,
            )
            if planned:
                rounds.append(planned)
    return rounds

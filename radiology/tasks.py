"""Beat ticks this; the digests themselves are rows in the outbox."""

from celery import shared_task
from django.utils import timezone

from radiology.services import invitation_steps, loop_steps, offers, staff_digests, waiting_list


@shared_task(name="radiology.plan_staff_digests", ignore_result=True)
def plan_staff_digests() -> int:
    return staff_digests.plan_staff_digests(now=timezone.now())


@shared_task(name="radiology.reach_loop_steps", ignore_result=True)
def reach_loop_steps() -> int:
    """Follow-up escalations and rebooking steps whose time has come (each reached once)."""
    return loop_steps.reach_due_steps(now=timezone.now())


@shared_task(name="radiology.reach_invitation_steps", ignore_result=True)
def reach_invitation_steps() -> int:
    """Order invitations unanswered after ORDER_INVITATION_TODO_AFTER_HOURS go on the to-do (once)."""
    return invitation_steps.reach_due_invitations(now=timezone.now())


@shared_task(name="radiology.advance_offer_round", ignore_result=True)
def advance_offer_round(round_id: int) -> bool:
    """Right after a round is planned (or an offer declined): its next offer, at once."""
    return offers.advance_round(round_id=round_id, now=timezone.now()) is not None


@shared_task(name="radiology.advance_offer_rounds", ignore_result=True)
def advance_offer_rounds() -> int:
    """Expired holds released, and each due round offered to the next patient."""
    return offers.advance_due_rounds(now=timezone.now())


@shared_task(name="radiology.add_long_waits", ignore_result=True)
def add_long_waits() -> int:
    """Orders waiting longer than WAITING_LIST_AUTO_AFTER_DAYS go on the waiting list."""
    return waiting_list.add_long_waits(now=timezone.now())

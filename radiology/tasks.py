"""Beat ticks this; the digests themselves are rows in the outbox."""

from celery import shared_task
from django.utils import timezone

from radiology.services import invitation_steps, loop_steps, staff_digests


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

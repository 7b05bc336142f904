"""The schedulers' to-do list page (the rules are in radiology.selectors.scheduler_todo and,
for patients the department cannot reach, radiology.selectors.reach) and the forms that
record a call or a resolution (radiology.services.todo)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from radiology.errors import ServiceRefusal
from radiology.selectors import scheduler_todo
from radiology.selectors.loops import loop_tasks
from radiology.selectors.offers import offers_for_todo
from radiology.selectors.reach import patients_to_reach, unanswered_invitations
from radiology.services.invitation_steps import handle_on_todo
from radiology.services.loop_steps import handle_todo_step
from radiology.services.restaffing import offer_on_todo
from radiology.services.todo import record_todo_note


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
def todo(request):
    return render(
        request,
        "radiology/scheduler/todo.html",
        {
            "items": offer_on_todo(scheduler_todo(now=timezone.now())),
            "to_reach": patients_to_reach(),
            "loop_tasks": loop_tasks(),
            "invitations": unanswered_invitations(),
            "offers": offers_for_todo(now=timezone.now()),
        },
    )


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
@require_POST
def todo_note(request, pk):
    outcome = request.POST.get("outcome", "")
    try:
        note = record_todo_note(
            appointment_id=pk, actor=request.user, outcome=outcome, note=request.POST.get("note", "")
        )
    except ServiceRefusal as error:
        messages.error(request, error.message)
    else:
        _noted(request, note.appointment.patient, outcome)
    return redirect("radiology:scheduler_todo")


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
@require_POST
def todo_patient_note(request, pk):
    """A call to a patient the department cannot reach, or how it was resolved (correcting
    her contact on her page resolves it too)."""
    outcome = request.POST.get("outcome", "")
    try:
        note = record_todo_note(patient_id=pk, actor=request.user, outcome=outcome, note=request.POST.get("note", ""))
    except ServiceRefusal as error:
        messages.error(request, error.message)
    else:
        _noted(request, note.patient, outcome)
    return redirect("radiology:scheduler_todo")


def _noted(request, patient, outcome: str) -> None:
    if outcome == "resolved":
        messages.success(request, f"{patient.full_name}: resolved, and off the list until something new happens.")
    else:
        messages.success(request, f"{patient.full_name}: your call is noted.")


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
@require_POST
def todo_step_done(request, pk):
    """A follow-up or missed-visit task done (the call made, the referring physician told)."""
    try:
        handle_todo_step(step_id=pk, actor=request.user, note=request.POST.get("note", ""))
    except ServiceRefusal as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Task done, and off the list.")
    return redirect("radiology:scheduler_todo")


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
@require_POST
def todo_invitation_done(request, pk):
    """An unanswered invitation dealt with (she was called; booking the order does it too)."""
    try:
        handle_on_todo(invitation_id=pk, actor=request.user, note=request.POST.get("note", ""))
    except ServiceRefusal as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Invitation closed, and off the list.")
    return redirect("radiology:scheduler_todo")

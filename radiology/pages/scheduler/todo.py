"""The schedulers' to-do list page (the rules are in radiology.selectors.scheduler_todo) and
the form that records a call or a resolution (radiology.services.todo)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from radiology.errors import ServiceRefusal
from radiology.selectors import scheduler_todo
from radiology.services.todo import record_todo_note


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
def todo(request):
    return render(request, "radiology/scheduler/todo.html", {"items": scheduler_todo(now=timezone.now())})


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
        patient = note.appointment.patient.full_name
        if outcome == "resolved":
            messages.success(request, f"{patient}: resolved, and off the list until something new happens.")
        else:
            messages.success(request, f"{patient}: your call is noted.")
    return redirect("radiology:scheduler_todo")

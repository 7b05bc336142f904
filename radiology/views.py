"""Staff pages. Views stay thin: parse input, call a service or selector, render."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from radiology import selectors
from radiology.errors import AppointmentActionError
from radiology.forms import AppointmentFilterForm, TransitionForm
from radiology.models import Appointment, clinic_zone
from radiology.services.actions import run_action
from radiology.services.reminders import appointment_messages, latest_readiness
from radiology.services.transitions import ACTIONS, allowed_actions


@login_required
def home(request):
    staff = getattr(request.user, "staff", None)
    if staff is not None and staff.role == "scheduler":
        return redirect("radiology:schedule_search")
    return redirect("radiology:appointment_list")


@login_required
@permission_required("radiology.view_appointment", raise_exception=True)
def appointment_list(request):
    form = AppointmentFilterForm(request.GET or None)
    today = timezone.now().astimezone(clinic_zone()).date()
    start_day, end_day = today, today + timedelta(days=14)
    status = ""
    if form.is_valid():
        start_day = form.cleaned_data["start"] or start_day
        end_day = form.cleaned_data["end"] or max(end_day, start_day)
        status = form.cleaned_data["status"]
    start, _ = selectors.local_day_bounds(start_day)
    _, end = selectors.local_day_bounds(end_day)
    appointments = selectors.appointments_between(start, end)
    if status:
        appointments = appointments.filter(status=status)
    page = Paginator(appointments, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "radiology/appointment_list.html",
        {"form": form, "page": page, "start_day": start_day, "end_day": end_day},
    )


@login_required
@permission_required("radiology.view_appointment", raise_exception=True)
def appointment_detail(request, pk):
    try:
        appointment = selectors.appointment_with_history(pk)
    except Appointment.DoesNotExist:
        raise Http404("No such appointment") from None
    actions = [(name, ACTIONS[name]) for name in allowed_actions(appointment, request.user)]
    context = {
        "appointment": appointment,
        "actions": actions,
        "reminder_messages": appointment_messages(appointment),
        "readiness": latest_readiness(appointment),
    }
    return render(request, "radiology/appointment_detail.html", context)


@login_required
@require_POST
def appointment_transition(request, pk):
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That action could not be read. Please try again.")
        return redirect("radiology:appointment_detail", pk=pk)
    try:
        appointment = run_action(
            appointment_id=pk,
            action=form.cleaned_data["action"],
            actor=request.user,
            note=form.cleaned_data["note"],
            reason=form.cleaned_data["reason"],
        )
    except AppointmentActionError as error:
        if error.code == "forbidden":
            return render(request, "403.html", {"message": error.message}, status=403)
        if error.code == "not_found":
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, f"Done: the appointment is now {appointment.get_status_display().lower()}.")
    return redirect("radiology:appointment_detail", pk=pk)

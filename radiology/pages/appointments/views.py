"""Staff pages. Views stay thin: parse input, call a service or selector, render."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from radiology import selectors
from radiology.models import PERFORMED_STATES, Appointment
from radiology.presentation.action_links import action_links
from radiology.presentation.forms import AppointmentFilterForm
from radiology.selectors.reports import report_record
from radiology.services import told_table
from scheduling.clinic_time import local_day_bounds, local_today
from security.access_log import What, record_access


@login_required
def home(request):
    """Each role starts where its day starts."""
    staff = getattr(request.user, "staff", None)
    start_page = {
        "scheduler": "radiology:schedule_search",
        "technologist": "radiology:day_list",
        "nurse": "radiology:day_list",
        "radiologist": "radiology:radiologist_list",
        "manager": "radiology:dashboard",
    }
    return redirect(start_page.get(staff.role if staff else "", "radiology:appointment_list"))


@login_required
@permission_required("radiology.view_appointment", raise_exception=True)
def appointment_list(request):
    form = AppointmentFilterForm(request.GET or None)
    today = local_today()
    start_day, end_day = today, today + timedelta(days=14)
    status, patient = "", None
    if form.is_valid():
        patient = form.cleaned_data["patient"]
        if patient and not (form.cleaned_data["start"] or form.cleaned_data["end"]):
            # One patient's list: all of her appointments unless dates are given.
            start_day, end_day = selectors.patient_appointment_span(patient)
        start_day = form.cleaned_data["start"] or start_day
        end_day = form.cleaned_data["end"] or max(end_day, start_day)
        status = form.cleaned_data["status"]
    start, _ = local_day_bounds(start_day)
    _, end = local_day_bounds(end_day)
    appointments = selectors.appointments_between(start, end)
    if status:
        appointments = appointments.filter(status=status)
    if patient:
        appointments = appointments.filter(patient=patient)
    page = Paginator(appointments, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "radiology/appointment_list.html",
        {"form": form, "page": page, "start_day": start_day, "end_day": end_day, "patient": patient},
    )


@login_required
@permission_required("radiology.view_appointment", raise_exception=True)
def appointment_detail(request, pk):
    try:
        appointment = selectors.appointment_with_history(pk)
    except Appointment.DoesNotExist:
        raise Http404("No such appointment") from None
    record_access(request=request, patient_ids=[appointment.patient_id], what=What.APPOINTMENT_PAGE)
    back = request.get_full_path()
    booking_actions = action_links(user=request.user, back=back, group="booking")(appointment)
    context = {
        "appointment": appointment,
        "fhir_status": told_table.fhir_status(appointment.status),
        "workflow_actions": action_links(user=request.user, back=back, group="workflow")(appointment),
        "booking_actions": booking_actions,
        # Moving it: a date picker that opens the reschedule page's search from that day.
        "move_from": next((link for link in booking_actions if link.name == "reschedule"), None),
        "move_days": (local_today(), local_today() + timedelta(days=13)),
        "reminder_messages": selectors.appointment_messages(appointment),
        "readiness": selectors.latest_readiness(appointment),
        "report": report_record(appointment.pk),
        "performed": appointment.status in PERFORMED_STATES,  # a report may be written
    }
    return render(request, "radiology/appointment_detail.html", context)

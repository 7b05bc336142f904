"""Staff pages. Views stay thin: parse input, call a service or selector, render."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from radiology import selectors
from radiology.errors import ServiceRefusal
from radiology.models import PERFORMED_STATES, UPCOMING, Appointment, CheckInChecklist, FollowUp
from radiology.presentation.action_links import action_links
from radiology.presentation.forms import AppointmentFilterForm
from radiology.selectors import loops
from radiology.selectors import offers as offer_selectors
from radiology.selectors.letters import letter_of_appointment
from radiology.selectors.reports import report_record
from radiology.services import follow_ups as follow_up_services
from radiology.services.patient_needs import may_record_needs
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
    booking_actions = action_links(user=request.user, back=back, group=("booking", "staffing"))(appointment)
    letter = letter_of_appointment(appointment.pk)
    try:
        checklist = appointment.checklist  # read with the appointment (appointment_with_history)
    except CheckInChecklist.DoesNotExist:
        checklist = None
    context = {
        "checklist_answers": checklist.questions_text if checklist else "",
        "may_record_needs": may_record_needs(request.user),
        "appointment": appointment,
        "workflow_actions": action_links(user=request.user, back=back, group="workflow")(appointment),
        "booking_actions": booking_actions,
        # Moving it: a date picker that opens the reschedule page's search from that day.
        "move_from": next((link for link in booking_actions if link.name == "reschedule"), None),
        "move_days": (local_today(), local_today() + timedelta(days=13)),
        "reminder_messages": selectors.appointment_messages(appointment),
        "readiness": selectors.latest_readiness(appointment),
        "report": report_record(appointment.pk),
        "letter": letter,
        "letter_state": letter.state(timezone.now()) if letter else "",
        "performed": appointment.status in PERFORMED_STATES,  # a report may be written
        "follow_ups": loops.follow_ups_of([appointment.pk]).get(appointment.pk, []),
        "close_reasons": FollowUp.CloseReason.choices,
        "may_work_follow_ups": request.user.has_perm("radiology.book_appointment"),
        "needs_new_time": selectors.needs_new_time(appointment),
        "offers": offer_selectors.offers_of_appointment(appointment),
        "may_work_offers": request.user.has_perm("radiology.book_appointment"),
        "upcoming": UPCOMING,
    }
    return render(request, "radiology/appointment_detail.html", context)


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
@require_POST
def follow_up_update(request, pk):
    """A tracked follow-up booked elsewhere, done (a result received) or closed with a reason."""
    follow_up = get_object_or_404(FollowUp, pk=pk)
    post, change = request.POST, request.POST.get("change", "")
    try:
        if change == "elsewhere":
            follow_up_services.book_follow_up(
                follow_up_id=pk,
                actor=request.user,
                elsewhere_on=parse_date(post.get("elsewhere_on", "")),
                elsewhere_place=post.get("elsewhere_place", ""),
            )
        elif change == "done":
            follow_up_services.record_done(follow_up_id=pk, actor=request.user, result_note=post.get("result_note", ""))
        else:
            follow_up_services.close_follow_up(
                follow_up_id=pk, actor=request.user, reason_code=post.get("reason_code", ""), note=post.get("note", "")
            )
    except ServiceRefusal as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{follow_up.get_kind_display()}: recorded.")
    return redirect("radiology:appointment_detail", follow_up.appointment_id)

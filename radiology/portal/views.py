"""Patient pages behind a signed link: no login, only first name, time and place."""

from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from radiology.errors import AppointmentActionError
from radiology.models import UPCOMING, Appointment
from radiology.portal.forms import ReadinessForm
from radiology.portal.ratelimit import rate_limited
from radiology.services import portal as services
from radiology.services.patient_links import token_is_valid


def patient_link_required(view):
    """A valid, unexpired link for this appointment, or a friendly page and nothing else."""

    @wraps(view)
    def wrapped(request, pk, token, *args, **kwargs):
        appointment = None
        if token_is_valid(appointment_id=pk, token=token):
            appointment = Appointment.objects.select_related("patient", "room", "procedure").filter(pk=pk).first()
        if appointment is None:
            return render(request, "portal/invalid.html", status=404)
        return view(request, appointment, token, *args, **kwargs)

    return wrapped


def _home(appointment, token):
    return redirect("radiology:portal:home", appointment.pk, token)


@rate_limited
@patient_link_required
def home(request, appointment, token):
    latest = appointment.readiness_responses.order_by("-answered_at").first()
    return render(
        request,
        "portal/home.html",
        {
            "appointment": appointment,
            "first_name": appointment.patient.given_name,
            "procedure": appointment.procedure,
            "upcoming": appointment.status in UPCOMING,
            "token": token,
            "form": ReadinessForm(),
            "answered": latest is not None,
        },
    )


@rate_limited
@require_POST
@patient_link_required
def confirm(request, appointment, token):
    if services.confirm_attendance(appointment_id=appointment.pk, now=timezone.now()):
        messages.success(request, "Thank you: we have noted that you are coming.")
    return _home(appointment, token)


@rate_limited
@require_POST
@patient_link_required
def readiness(request, appointment, token):
    form = ReadinessForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please answer all three questions.")
        return _home(appointment, token)
    services.record_readiness(appointment_id=appointment.pk, now=timezone.now(), **form.cleaned_data)
    messages.success(request, "Thank you for your answers. The team will see them before your appointment.")
    return _home(appointment, token)


@rate_limited
@require_POST
@patient_link_required
def request_another_time(request, appointment, token):
    if services.request_another_time(appointment_id=appointment.pk, now=timezone.now()):
        messages.success(request, "We will call you to find another time. Your current booking stays until then.")
    return _home(appointment, token)


@rate_limited
@require_POST
@patient_link_required
def cancel(request, appointment, token):
    try:
        services.cancel_by_patient(appointment_id=appointment.pk, now=timezone.now())
    except AppointmentActionError:
        messages.error(request, "This appointment can no longer be cancelled here. Please call us.")
    else:
        messages.success(request, "Your appointment is cancelled.")
    return _home(appointment, token)

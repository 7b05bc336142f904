"""Patient pages behind a signed link: no login, only first name, time and place.

Each page is in the patient's language (her messages' language); a page that cannot tell
whose link it is (invalid, rate limited) follows the browser's. Decisions come from
radiology.services.portal; these views only translate requests and answers.
"""

from functools import wraps

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from notifications.opt_out import is_opted_out
from radiology.encoders.letter_pdf import letter_pdf_of
from radiology.encoders.letter_text import letter_content
from radiology.errors import JUST_TAKEN, ServiceRefusal
from radiology.models import Appointment, WaitingListEntry
from radiology.pages.portal.catalog_text import translated_lines
from radiology.pages.portal.forms import ReadinessForm, RescheduleForm
from radiology.pages.portal.ics import appointment_calendar
from radiology.pages.portal.ratelimit import rate_limited
from radiology.selectors.letters import released_letter
from radiology.services import portal as services
from radiology.services import rebooking, rebooking_link
from radiology.services.patient_links import Access, link_access, make_token, patient_link
from scheduling.clinic_time import clinic_zone


def private(response):
    # A phone may be shared: keep her page out of caches and the back-forward history.
    add_never_cache_headers(response)
    response["Cache-Control"] += ", private"
    return response


def shown_when_cancelled(view):
    """A page a link given before the cancellation may still show (read-only: her page says
    it is cancelled, her calendar file strikes the event). Every other page and every action
    sends such a link back to her page."""
    view.shown_when_cancelled = True
    return view


def patient_link_required(view):
    """A valid, unexpired link for this appointment as it is now (the number, address and
    time it was given for), or a friendly page and nothing else. The view runs in the
    patient's language."""

    @wraps(view)
    def wrapped(request, pk, token, *args, **kwargs):
        appointment = Appointment.objects.select_related("patient", "room", "procedure").filter(pk=pk).first()
        access = link_access(appointment=appointment, token=token) if appointment else None
        if access is None:
            with translation.override(translation.get_language_from_request(request)):
                return private(render(request, "portal/invalid.html", status=404))
        with translation.override(appointment.patient.language):
            if access is Access.CANCELLED and not getattr(view, "shown_when_cancelled", False):
                response = _home(appointment, token)
            else:
                response = view(request, appointment, token, *args, **kwargs)
            response.headers.setdefault("Content-Language", translation.get_language())
        return private(response)

    return wrapped


def _home(appointment, token):
    return redirect("radiology:portal:home", appointment.pk, token)


@rate_limited
@require_safe
@patient_link_required
@shown_when_cancelled
def home(request, appointment, token):
    now = timezone.now()
    status = services.patient_status(appointment, now=now)
    answers = services.latest_answers(appointment)
    procedure = appointment.procedure
    return render(
        request,
        "portal/home.html",
        {
            "appointment": appointment,
            "first_name": appointment.patient.given_name,
            "status": status,
            "actionable": status in services.Status.ACTIONABLE,
            "advice": services.no_expression_advice(appointment, now=now),
            "preparation": translated_lines(procedure.preparation_steps),
            "about": translated_lines([procedure.summary, procedure.patient_experience]),
            "answers": answers,
            "form": ReadinessForm.for_answers(answers),
            "token": token,
            "letter": released_letter(appointment.pk),
            "texts_stopped": bool(appointment.patient.phone) and is_opted_out(str(appointment.patient.phone)),
            "has_email": bool(appointment.patient.email),
            "on_waiting_list": WaitingListEntry.objects.filter(order_id=appointment.order_id, state="waiting").exists(),
            "rebook_open": bool(rebooking_link.rebook_choices(appointment=appointment, now=now))
            if status == services.Status.NO_SHOW or appointment.status == "did_not_proceed"
            else False,
        },
    )


@rate_limited
@require_POST
@patient_link_required
def confirm(request, appointment, token):
    if services.confirm_attendance(appointment_id=appointment.pk, now=timezone.now()):
        messages.success(request, _("Thank you: we have noted that you are coming."))
    return _home(appointment, token)


@rate_limited
@require_POST
@patient_link_required
def readiness(request, appointment, token):
    form = ReadinessForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please answer all three questions."))
        return _home(appointment, token)
    services.record_readiness(appointment_id=appointment.pk, now=timezone.now(), **form.cleaned_data)
    messages.success(request, _("Thank you for your answers. The team will see them before your appointment."))
    return _home(appointment, token)


@rate_limited
@require_POST
@patient_link_required
def request_another_time(request, appointment, token):
    if services.request_another_time(appointment_id=appointment.pk, now=timezone.now()):
        messages.success(request, _("We will call you to find another time. Your current booking stays until then."))
    return _home(appointment, token)


@rate_limited
@require_POST
@patient_link_required
def cancel(request, appointment, token):
    try:
        services.cancel_by_patient(appointment_id=appointment.pk, now=timezone.now())
    except ServiceRefusal:
        messages.error(request, _("This appointment can no longer be cancelled here. Please call us."))
    else:
        messages.success(request, _("Your appointment is cancelled."))
    return _home(appointment, token)


@rate_limited
@require_http_methods(["GET", "HEAD", "POST"])
@patient_link_required
def reschedule(request, appointment, token):
    now = timezone.now()
    if services.patient_status(appointment, now=now) not in services.Status.ACTIONABLE:
        return _home(appointment, token)
    choices = services.reschedule_choices(appointment=appointment, now=now)
    status = 200
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Please choose one of the times."))
        else:
            try:
                services.reschedule_by_patient(appointment_id=appointment.pk, start=form.cleaned_data["start"], now=now)
            except ServiceRefusal as error:
                if error.code != "conflict":
                    messages.error(request, _("This appointment can no longer be moved here. Please call us."))
                    return _home(appointment, token)
                # Lost to someone quicker, or the page was old: fresh choices.
                choices, status = error.suggestions, 409
                messages.error(request, str(JUST_TAKEN))  # in her language, now
            else:
                messages.success(request, _("Your appointment is moved. We are sending you the new time."))
                # The link was for the old time and has died with it: she carries on with one for the new.
                moved = Appointment.objects.select_related("patient").get(pk=appointment.pk)
                return redirect("radiology:portal:home", moved.pk, make_token(moved))
    return render(
        request,
        "portal/reschedule.html",
        {"appointment": appointment, "days": by_day(choices), "token": token},
        status=status,
    )


@rate_limited
@require_http_methods(["GET", "HEAD", "POST"])
@patient_link_required
def rebook(request, appointment, token):
    """After a missed appointment: she chooses a new time (rebooking.rebook_by_patient, which
    books through the booking service). Once she has a new appointment (by phone, say), the
    link says so and books nothing."""
    now = timezone.now()
    loop = rebooking.waiting_rebooking(appointment)
    if loop is None:
        return _home(appointment, token)
    if loop.rebooked_appointment_id:
        when = loop.rebooked_appointment.start.astimezone(clinic_zone())
        sentence = _(
            "You already have a new appointment on %(when)s, so this link can no longer be used to choose another time."
        )
        return render(
            request,
            "portal/rebook.html",
            {"appointment": appointment, "token": token, "refused": sentence % {"when": _when(when)}, "days": []},
            status=409 if request.method == "POST" else 200,
        )
    choices = rebooking_link.rebook_choices(appointment=appointment, now=now)
    status = 200
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Please choose one of the times."))
        else:
            try:
                new = rebooking_link.rebook_by_patient(
                    appointment_id=appointment.pk, start=form.cleaned_data["start"], now=now
                )
            except ServiceRefusal as error:
                choices, status = (error.suggestions or choices), 409
                messages.error(request, str(JUST_TAKEN))
            else:
                messages.success(request, _("Your new appointment is booked. We are sending you the details."))
                return redirect("radiology:portal:home", new.pk, make_token(new.pk))
    return render(
        request,
        "portal/rebook.html",
        {"appointment": appointment, "days": by_day(choices), "token": token, "refused": ""},
        status=status,
    )


def _when(local) -> str:
    from django.utils.formats import date_format

    return date_format(local, pgettext("patient page: day and time", "l j F, H:i"))


def by_day(choices):
    """The offered times under one heading per local day: [(day, [local start, ...]), ...]."""
    zone = clinic_zone()
    days: dict = {}
    for start in choices:
        local = start.astimezone(zone)
        days.setdefault(local.date(), []).append(local)
    return list(days.items())


@rate_limited
@require_safe
@patient_link_required
@shown_when_cancelled
def calendar(request, appointment, token):
    ics = appointment_calendar(appointment, link=patient_link(appointment), now=timezone.now())
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@rate_limited
@require_safe
@patient_link_required
def letter(request, appointment, token):
    """Her result letter, once it has been sent to her; a kind sentence before that."""
    result = released_letter(appointment.pk)
    content = letter_content(result, now=timezone.now()) if result else None
    return render(
        request,
        "portal/letter.html",
        {"appointment": appointment, "token": token, "content": content},
        status=200 if result else 404,
    )


@rate_limited
@require_safe
@patient_link_required
def letter_pdf(request, appointment, token):
    result = released_letter(appointment.pk)
    if result is None:
        return render(request, "portal/letter.html", {"appointment": appointment, "token": token}, status=404)
    response = HttpResponse(letter_pdf_of(result, now=timezone.now()), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="letter.pdf"'
    return response

"""Changing the staff of an appointment without moving it (services/restaffing.py decides;
this page shows who is free then, takes the choice and says what happened). Reached from the
appointment page, the day list and the to-do's one-click re-staff."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from radiology import selectors
from radiology.errors import ServiceRefusal
from radiology.models import Appointment, StaffMember
from radiology.presentation.refusals import forbidden, show_on_form
from radiology.services import restaffing

ACTIVE = StaffMember.objects.select_related("user", "resource").filter(resource__active=True)


class RestaffForm(forms.Form):
    """Each select offers "keep" and the people the slot search finds free at that minute;
    the service has the last word on any id posted."""

    radiologist = forms.ModelChoiceField(queryset=ACTIVE.filter(role=StaffMember.Role.RADIOLOGIST), required=False)
    technologist = forms.ModelChoiceField(
        queryset=ACTIVE.filter(role__in=StaffMember.ASSISTING_ROLES), required=False, label="Technologist or nurse"
    )
    note = forms.CharField(max_length=300, required=False, label="Note (optional)")

    def __init__(self, *args, appointment, free, **kwargs):
        super().__init__(*args, **kwargs)
        for role in ("radiologist", "technologist"):
            current = getattr(appointment, role)
            self.fields[role].choices = [("", f"Keep {current.name}"), *[(m.pk, m.name) for m in free[role]]]


def _appointment_or_404(pk) -> Appointment:
    try:
        return selectors.appointment_with_history(pk)
    except Appointment.DoesNotExist:
        raise Http404("No such appointment") from None


def _next(request, appointment) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return appointment.get_absolute_url()


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
def appointment_restaff(request, pk):
    appointment = _appointment_or_404(pk)
    refusal = restaffing.RESTAFF.refusal(appointment, timezone.now())  # the service's own rule
    if refusal:
        messages.error(request, refusal)
        return redirect(appointment)
    free = restaffing.candidates(appointment)
    data = request.POST if request.method == "POST" else (request.GET if "radiologist" in request.GET else None)
    form = RestaffForm(data, appointment=appointment, free=free)
    if request.method == "POST" and form.is_valid():
        try:
            restaffing.restaff_appointment(
                appointment_id=pk,
                actor=request.user,
                radiologist=form.cleaned_data["radiologist"],
                technologist=form.cleaned_data["technologist"],
                note=form.cleaned_data["note"],
            )
        except ServiceRefusal as error:
            if error.code == "forbidden":
                return forbidden(request, error)
            if error.code != "conflict":
                show_on_form(form, error)
            return _render(request, appointment, form, status=409 if error.code == "conflict" else 400, error=error)
        appointment.refresh_from_db()
        messages.success(
            request,
            f"{appointment.patient.full_name}'s galactogram at {appointment.local_start:%H:%M} is now with "
            f"{appointment.radiologist.name} and {appointment.technologist.name}. The patient is not told: her "
            "time and place are unchanged.",
        )
        return redirect(_next(request, appointment))
    return _render(request, appointment, form, status=400 if form.is_bound and request.method == "POST" else 200)


def _render(request, appointment, form, *, status, error=None):
    if error is not None and error.code == "conflict":
        # Who is free now, after the rival's change: the form offers them again.
        form = RestaffForm(appointment=appointment, free=restaffing.candidates(appointment))
    context = {
        "appointment": appointment,
        "form": form,
        "conflict": error.message if error is not None and error.code == "conflict" else "",
        "next": _next(request, appointment),
    }
    return render(request, "radiology/scheduler/restaff.html", context, status=status)

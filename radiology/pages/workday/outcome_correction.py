"""Correcting a recorded outcome (the ducts, the contrast volume, the complications), with the
reason: one form, the service radiology.services.workflow.correct_outcome (which tells the EHR
a credit and the new charge when the codes change), then back to the appointment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from radiology.errors import ServiceRefusal
from radiology.models import Appointment
from radiology.pages.workday.forms import OutcomeCorrectionForm
from radiology.presentation.refusals import forbidden, show_on_form
from radiology.services.action_table import ACTIONS
from radiology.services.workflow import correct_outcome

TITLE = "Correct the outcome"


@login_required
def correct_outcome_page(request, pk):
    if not request.user.has_perm(ACTIONS["complete"].permission):
        return forbidden(request, "Your role does not allow correcting an outcome.")
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "room", "procedure", "outcome"), pk=pk
    )
    outcome = getattr(appointment, "outcome", None)
    initial = None
    if outcome is not None:
        initial = {
            "ducts": outcome.ducts,
            "contrast_volume_ml": outcome.contrast_volume_ml,
            "complications": outcome.complications,
            "complication_note": outcome.complication_note,
        }
    form = OutcomeCorrectionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            correct_outcome(appointment_id=appointment.pk, actor=request.user, **form.cleaned_data)
        except ServiceRefusal as refusal:
            if refusal.code == "forbidden":
                return forbidden(request, refusal)
            show_on_form(form, refusal)
        else:
            messages.success(request, f"Outcome corrected for {appointment.patient.full_name}.")
            return redirect(appointment.get_absolute_url())
    context = {
        "appointment": appointment,
        "form": form,
        "title": TITLE,
        "next": appointment.get_absolute_url(),
        "no_outcome": outcome is None,
        # The shared action template shows its form only when offered: a recorded outcome can
        # always be corrected (the service refuses what it must).
        "offered": outcome is not None,
    }
    return render(request, "radiology/workday/correct_outcome.html", context)

"""The "modality steps needing attention" page: MPPS steps that matched no appointment,
could not be applied, or were completed at the modality without the whole outcome. The
radiologist completes those with the outcome through the same completion service as the
day list's completion page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from radiology.errors import AppointmentActionError
from radiology.forms import CompleteForm
from radiology.modality_selectors import steps_needing_attention
from radiology.models import PerformedProcedureStep
from radiology.services.performed_steps import complete_from_step


def _initial(step: PerformedProcedureStep) -> dict:
    """What the modality did send, offered as the form's starting values (still confirmed by a person)."""
    initial = {}
    if step.ducts:
        initial["ducts"] = step.ducts
    if step.contrast_volume_ml is not None:
        initial["contrast_volume_ml"] = step.contrast_volume_ml
    return initial


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
def needs_attention(request):
    page = Paginator(steps_needing_attention(), 50).get_page(request.GET.get("page"))
    rows = [
        (
            step,
            CompleteForm(initial=_initial(step), prefix=f"s{step.pk}") if step.attention == "outcome_needed" else None,
        )
        for step in page
    ]
    return render(request, "dicom/needs_attention.html", {"page": page, "rows": rows})


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
@require_POST
def complete_step(request, pk):
    step = get_object_or_404(PerformedProcedureStep, pk=pk)
    form = CompleteForm(request.POST, prefix=f"s{step.pk}")
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[f].label or f}: {' '.join(e)}" for f, e in form.errors.items())
        messages.error(request, f"Not completed — {errors}")
        return redirect("dicom:needs_attention")
    outcome = {k: v for k, v in form.cleaned_data.items() if k != "cannulated"}
    try:
        complete_from_step(step_id=step.pk, actor=request.user, outcome=outcome)
    except AppointmentActionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Completed appointment #{step.appointment_id} with its outcome.")
    return redirect("dicom:needs_attention")

"""The "modality steps needing attention" page: MPPS steps that matched no appointment,
could not be applied, or were completed at the modality without the whole outcome. The
radiologist completes those with the outcome through the same completion service as the
day list's completion page; staff link an unmatched step to its appointment or dismiss it
(radiology.services.performed_steps)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from pydicom.dataset import Dataset

from radiology.errors import ServiceRefusal
from radiology.interfaces.dicom import mpps
from radiology.interfaces.dicom.forms import DismissStepForm, LinkStepForm
from radiology.models import PerformedProcedureStep
from radiology.presentation.forms import CompleteForm
from radiology.selectors.modality import link_candidates, step_day, steps_needing_attention
from radiology.services.performed_steps import RESOLVABLE, complete_from_step, dismiss_step, link_step


def _initial(step: PerformedProcedureStep) -> dict:
    """What the modality did send, offered as the form's starting values (still confirmed by a person)."""
    initial = {}
    if step.ducts:
        initial["ducts"] = step.ducts
    if step.contrast_volume_ml is not None:
        initial["contrast_volume_ml"] = step.contrast_volume_ml
    return initial


def _sent_patient(step: PerformedProcedureStep) -> str:
    """The patient as the modality recorded her, to compare with the appointment chosen."""
    try:
        sent = Dataset.from_json(step.attributes)
        name, patient_id = str(sent.get("PatientName") or ""), str(sent.get("PatientID") or "")
    except (ValueError, TypeError, KeyError):
        return ""
    return " · ".join(part for part in (name.replace("^", ", "), f"ID {patient_id}" if patient_id else "") if part)


def _row(step: PerformedProcedureStep, candidates: dict) -> dict:
    row = {"step": step, "sent_patient": _sent_patient(step)}
    if step.attention == PerformedProcedureStep.Attention.OUTCOME_NEEDED:
        row["complete_form"] = CompleteForm(initial=_initial(step), prefix=f"s{step.pk}")
    if step.attention in RESOLVABLE:
        row["link_form"] = LinkStepForm(candidates=candidates[step_day(step)], prefix=f"l{step.pk}")
        row["dismiss_form"] = DismissStepForm(prefix=f"d{step.pk}")
    return row


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
def needs_attention(request):
    page = Paginator(steps_needing_attention(), 50).get_page(request.GET.get("page"))
    candidates = link_candidates({step_day(step) for step in page if step.attention in RESOLVABLE})
    rows = [_row(step, candidates) for step in page]
    return render(request, "dicom/needs_attention.html", {"page": page, "rows": rows})


def _errors(form) -> str:
    return "; ".join(f"{form.fields[f].label or f}: {' '.join(e)}" for f, e in form.errors.items())


def _posted(request, form, *, not_done: str, act):
    """A step's form posted from the list: the form's errors, the service's refusal or what
    `act` (given the cleaned data) did, as a message on the list."""
    if not form.is_valid():
        messages.error(request, f"{not_done} — {_errors(form)}")
    else:
        try:
            messages.success(request, act(form.cleaned_data))
        except ServiceRefusal as refusal:
            messages.error(request, refusal.message)
    return redirect("dicom:needs_attention")


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
@require_POST
def complete_step(request, pk):
    step = get_object_or_404(PerformedProcedureStep, pk=pk)

    def complete(data):
        outcome = {k: v for k, v in data.items() if k != "cannulated"}
        complete_from_step(step_id=step.pk, actor=request.user, outcome=outcome)
        return f"Completed appointment #{step.appointment_id} with its outcome."

    form = CompleteForm(request.POST, prefix=f"s{step.pk}")
    return _posted(request, form, not_done="Not completed", act=complete)


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
@require_POST
def link_step_view(request, pk):
    step = get_object_or_404(PerformedProcedureStep, pk=pk)
    day = step_day(step)

    def link(data):
        linked = link_step(
            step_id=step.pk, appointment_id=data["appointment"], actor=request.user, report=mpps.stored_report(step)
        )
        return f"Linked to appointment #{linked.appointment_id}; it shows what the modality did."

    form = LinkStepForm(request.POST, candidates=link_candidates({day})[day], prefix=f"l{step.pk}")
    return _posted(request, form, not_done="Not linked", act=link)


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
@require_POST
def dismiss_step_view(request, pk):
    step = get_object_or_404(PerformedProcedureStep, pk=pk)
    form = DismissStepForm(request.POST, prefix=f"d{step.pk}")

    def dismiss(_):
        dismiss_step(step_id=step.pk, actor=request.user, reason=form.reason_text())
        return "Dismissed; no appointment was changed."

    return _posted(request, form, not_done="Not dismissed", act=dismiss)

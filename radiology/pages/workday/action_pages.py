"""The procedure action pages: one click from a list, one form, then back.

One view serves every action of the action table that has a workday page (a row with a
`path`): the row gives the permission, the title, the sentence said when done and the coded
reasons; the form follows from the kind of input the row requires (FORMS). The change goes
through run_action, the same door and the same required inputs as the API. A new action
with a known kind of input needs nothing here."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, FollowUpPlan
from radiology.pages.workday import forms
from radiology.presentation.forms import CompleteForm
from radiology.presentation.refusals import forbidden, show_on_form
from radiology.services import check_in_questions
from radiology.services.action_table import ACTIONS
from radiology.services.actions import run_action


def _reason_from_link(request, appointment) -> dict:
    # "Did not proceed: no discharge today" from the check-in page arrives with its reason,
    # and with her arrival to record (she is at the desk).
    return {"reason_code": request.GET.get("reason", ""), "arrived": request.GET.get("arrived") == "1"}


def _book_the_repeat_now(request, appointment) -> str | None:
    """A repeat ductogram waits as an order: someone who books goes straight to its slot search."""
    plan = FollowUpPlan.objects.filter(appointment=appointment).select_related("follow_up_order").first()
    if plan and plan.follow_up_order and request.user.has_perm("radiology.book_appointment"):
        return reverse("radiology:schedule_search") + f"?order={plan.follow_up_order_id}"
    return None


def _what_the_modality_sent(request, appointment) -> dict:
    """The outcome form starts from the modality's last step (ducts from its procedure code,
    the contrast volume); nothing it did not send is filled in."""
    step = appointment.performed_steps.exclude(ducts="", contrast_volume_ml=None).order_by("-updated_at").first()
    if step is None:
        return {}
    sent = {"ducts": step.ducts, "contrast_volume_ml": step.contrast_volume_ml}
    return {name: value for name, value in sent.items() if value not in ("", None)}


@dataclass(frozen=True)
class Form:
    """How a page asks for one kind of input."""

    form_class: type
    to_inputs: object = field(default=lambda data: data, compare=False)
    template: str = "radiology/workday/action.html"
    initial: object = field(default=None, compare=False)
    # Where to go next instead of back, given the request and the changed appointment.
    then: object = field(default=None, compare=False)
    # More arguments for the form, given the request and the appointment.
    kwargs: object = field(default=None, compare=False)


# Per kind of input an action takes (the row's inputs, then its optional ones).
FORMS = {
    "checklist": Form(
        forms.CheckInForm,
        to_inputs=lambda data: {"checklist": data},
        template="radiology/workday/check_in.html",
        # It asks only what the order, her age or her sex leave open (the service's rule).
        kwargs=lambda request, a: {"questions": check_in_questions.questions_for(a, now=timezone.now())},
    ),
    "outcome": Form(
        CompleteForm,
        to_inputs=lambda data: {"outcome": {k: v for k, v in data.items() if k != "cannulated"}},
        template="radiology/workday/complete.html",
        initial=_what_the_modality_sent,
    ),
    "reason_code": Form(forms.ReasonForm, initial=_reason_from_link),
    "plan": Form(forms.FollowUpForm, to_inputs=lambda data: {"plan": data}, then=_book_the_repeat_now),
    "radiologist": Form(
        forms.StartForm,
        initial=lambda request, a: {"radiologist": a.radiologist_id, "technologist": a.technologist_id},
    ),
}
# An action with nothing to fill in: the button is the confirmation.
CONFIRM = Form(forms.ConfirmForm)


def form_for(spec) -> Form:
    return next((FORMS[name] for name in spec.body_fields if name in FORMS), CONFIRM)


def _back(request, appointment) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return appointment.get_absolute_url()


@login_required
def action_page(request, pk, *, action: str):
    spec = ACTIONS[action]
    page = form_for(spec)
    if not request.user.has_perm(spec.permission):
        return forbidden(request, f"Your role does not allow “{spec.label.lower()}”.")
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "order", "room", "procedure", "outcome"), pk=pk
    )
    data = request.POST if request.method == "POST" else None  # a confirm-only form posts nothing
    extra = {"reason_choices": spec.reason_choices} if spec.reason_choices else {}
    extra |= page.kwargs(request, appointment) if page.kwargs else {}
    if "arrived" in spec.optional_inputs:
        extra["takes_arrival"] = True
    form = page.form_class(data, initial=page.initial(request, appointment) if page.initial else None, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            done = run_action(
                appointment_id=appointment.pk,
                action=action,
                actor=request.user,
                inputs=page.to_inputs(form.cleaned_data),
            )
        except ServiceRefusal as refusal:
            if refusal.code == "forbidden":
                return forbidden(request, refusal)
            # Someone may have acted first: the page shows the appointment as it is now, and
            # when its state no longer allows this action, the refusal without the form.
            appointment.refresh_from_db()
            show_on_form(form, refusal)
        else:
            messages.success(request, spec.done.format(name=done.patient.full_name))
            return redirect((page.then and page.then(request, done)) or _back(request, done))
    context = {
        "appointment": appointment,
        "form": form,
        "title": spec.title,
        "next": _back(request, appointment),
        # The form is offered only while the state allows the action (the table decides).
        "offered": spec.state_allows(appointment),
    }
    if not context["offered"] and not form.non_field_errors():
        context["not_offered"] = spec.refusal(appointment, timezone.now())
    return render(request, page.template, context)

"""The procedure action pages: one click from a list, one form, then back.

One view serves every action; what differs is in PAGES (form, template, title, how the form's
answers become the action's inputs). Who may open a page is the action table's permission, and
the change goes through run_action, the same door and the same required inputs as the API."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, FollowUpPlan
from radiology.pages.workday import forms
from radiology.presentation.forms import CompleteForm
from radiology.services.action_table import ACTIONS
from radiology.services.actions import run_action


def _reason_from_link(request, appointment) -> dict:
    # "Did not proceed: no discharge today" from the check-in page arrives with its reason.
    return {"reason_code": request.GET.get("reason", "")}


@dataclass(frozen=True)
class Page:
    form_class: type
    title: str
    done: str  # the flash message, in plain words
    to_inputs: object = field(default=lambda data: data, compare=False)
    template: str = "radiology/workday/action.html"
    initial: object = field(default=None, compare=False)
    # Where to go next instead of back, given the request and the changed appointment.
    then: object = field(default=None, compare=False)


PAGES = {
    "check_in": Page(
        forms.CheckInForm,
        "Check in",
        "{name} is checked in and waiting.",
        to_inputs=lambda data: {"checklist": data},
        template="radiology/workday/check_in.html",
    ),
    "start": Page(
        forms.StartForm,
        "Start procedure",
        "{name}'s procedure has started.",
        initial=lambda request, a: {"radiologist": a.radiologist_id, "technologist": a.technologist_id},
    ),
    "complete": Page(
        CompleteForm,
        "Complete procedure",
        "{name}'s procedure is complete; the outcome is saved.",
        to_inputs=lambda data: {"outcome": {k: v for k, v in data.items() if k != "cannulated"}},
        template="radiology/workday/complete.html",
    ),
    "abort": Page(
        forms.AbortForm,
        "Abort procedure",
        "{name}'s procedure was stopped; the room and staff are free again.",
        initial=_reason_from_link,
    ),
    "did_not_proceed": Page(
        forms.NotProceededForm,
        "Did not proceed",
        "{name} did not proceed today; she is on the schedulers' list to rebook.",
        initial=_reason_from_link,
    ),
    "no_show": Page(forms.ConfirmForm, "Mark no-show", "{name} is marked as not having come."),
    "arrange_follow_up": Page(
        forms.FollowUpForm,
        "Arrange follow-up",
        "{name}'s follow-up is arranged.",
        to_inputs=lambda data: {"plan": data},
        then=lambda request, appointment: _book_the_repeat_now(request, appointment),
    ),
}


def _book_the_repeat_now(request, appointment) -> str | None:
    """A repeat ductogram waits as an order: someone who books goes straight to its slot search."""
    plan = FollowUpPlan.objects.filter(appointment=appointment).select_related("follow_up_order").first()
    if plan and plan.follow_up_order and request.user.has_perm("radiology.book_appointment"):
        return reverse("radiology:schedule_search") + f"?order={plan.follow_up_order_id}"
    return None


def _back(request, appointment) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return appointment.get_absolute_url()


def _show_refusal(form, error: ServiceRefusal) -> None:
    for name, message in error.fields.items():
        if name in form.fields:
            form.add_error(name, message)
    if not error.fields or not any(name in form.fields for name in error.fields):
        form.add_error(None, error.message)


@login_required
def action_page(request, pk, *, action: str):
    spec, page = ACTIONS[action], PAGES[action]
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied(f"Your role does not allow “{spec.label.lower()}”.")
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "room", "procedure", "outcome"), pk=pk
    )
    data = request.POST if request.method == "POST" else None  # a confirm-only form posts nothing
    form = page.form_class(data, initial=page.initial(request, appointment) if page.initial else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = run_action(
                appointment_id=appointment.pk,
                action=action,
                actor=request.user,
                inputs=page.to_inputs(form.cleaned_data),
            )
        except ServiceRefusal as error:
            if error.code == "forbidden":
                raise PermissionDenied(error.message) from None
            _show_refusal(form, error)
        else:
            messages.success(request, page.done.format(name=done.patient.full_name))
            return redirect((page.then and page.then(request, done)) or _back(request, done))
    context = {"appointment": appointment, "form": form, "title": page.title, "next": _back(request, appointment)}
    return render(request, page.template, context)

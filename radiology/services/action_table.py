"""The one table of what staff can do to an appointment.

Each row is everything a door needs for one action: the state-machine transition it fires,
the permission (role) it needs, the inputs every door must supply and its coded reason
choices, the service that does the whole change, its label and button style, the page that
performs it (its URL name and path, its title and the sentence said when it is done), and a
time rule for when it is offered. The day list, the appointment page, the radiologist's list
and the API's `allowed_actions` read `offered_actions`; `run_action`, the workday's action
pages and the API's transition serializer read the rows; `perform_transition` and the
services refuse what the rows refuse. A new action is a row here and its service, nothing else.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from django.db.models import TextChoices
from django.utils.module_loading import import_string
from django_fsm import can_proceed

from procedures.reasons import AbortReason, CancelReason, NotProceededReason
from radiology.models import CANCELLABLE, UPCOMING, Appointment
from scheduling.clinic_time import to_local


def _on_the_day(appointment: Appointment, now: datetime) -> str | None:
    if to_local(now).date() != to_local(appointment.start).date():
        return "Patients can be checked in only on the day of their appointment."
    return None


def _after_start_and_grace(appointment: Appointment, now: datetime) -> str | None:
    grace = appointment.procedure.no_show_grace_minutes
    if now < appointment.start + timedelta(minutes=grace):
        return f"A no-show can be recorded only {grace} minutes after the appointment's start."
    return None


def _upcoming(appointment: Appointment, now: datetime) -> str | None:
    if appointment.status not in UPCOMING:
        return f"Only upcoming appointments can be moved; this one is {appointment.get_status_display().lower()}."
    return None


def _not_yet_performed(appointment: Appointment, now: datetime) -> str | None:
    if appointment.status not in CANCELLABLE:
        state = appointment.get_status_display().lower()
        return f"Only an appointment still to be performed can change staff; this one is {state}."
    return None


@dataclass(frozen=True)
class ActionSpec:
    name: str
    transition: str | None  # the Appointment method; None: not a state change (reschedule)
    permission: str | None  # None: only the system (actor=None) may do it
    label: str
    style: str = "btn-outline-secondary"
    url_name: str | None = None  # the page that performs it (radiology namespace)
    # Inputs required at every door; the API names them as body fields.
    inputs: tuple[str, ...] = ()
    # Inputs a door may give (the service has a default when they are left out).
    optional_inputs: tuple[str, ...] = ()
    # The coded reasons (procedures.reasons) an ending takes as `reason_code`, with a `note`.
    reason_choices: type[TextChoices] | None = None
    # The function that does the whole change, by dotted path: the services import this
    # table, so it cannot import them. None: a system step, made by perform_transition.
    service_path: str | None = None
    # The appointment page shows "booking" actions apart from the workflow ones; "staffing"
    # ones are on the appointment page (with booking) and the day list (with the workflow).
    group: str = "workflow"
    # Beyond the state machine: a reason why it is not possible now, or None.
    time_rule: object = field(default=None, compare=False)
    # The workday's action page: its address under appointments/<pk>/, its title, and what
    # it says when done ({name} is the patient's). Rows without a path have a page elsewhere.
    path: str | None = None
    title: str = ""
    done: str = ""
    # How a refusal names it ("Cannot arrange a follow-up: ..."); the label, lower-cased, if empty.
    verb: str = ""

    @property
    def service(self):
        return import_string(self.service_path) if self.service_path else None

    @property
    def body_fields(self) -> tuple[str, ...]:
        """The request fields that go with this action at the API (and nowhere else)."""
        return (*self.inputs, *self.optional_inputs)

    def refusal(self, appointment: Appointment, now: datetime) -> str | None:
        """Why this action cannot be taken on this appointment now (state or time), or None."""
        if not self._state_allows(appointment):
            if self.transition and _target(self.transition) == appointment.status:
                return f"Nothing to do: the appointment is already “{appointment.get_status_display()}”."
            state = appointment.get_status_display().lower()
            return f"Cannot {self.verb or self.label.lower()}: the appointment is {state}."
        return self.time_rule(appointment, now) if self.time_rule else None

    def allows(self, appointment: Appointment, now: datetime) -> bool:
        """refusal() is None, without writing the sentence: the day list asks this for
        every action of every row."""
        return self._state_allows(appointment) and (self.time_rule is None or self.time_rule(appointment, now) is None)

    def state_allows(self, appointment: Appointment) -> bool:
        """The state machine allows it (the time rule aside)."""
        return self.transition is None or _state_allows(self.transition, appointment)

    _state_allows = state_allows


@cache
def _allowed_from(transition: str, status: str) -> bool:
    return getattr(Appointment, transition)._django_fsm.has_transition(status)


@cache
def _target(transition: str) -> str:
    """The state a transition leads to (each of ours has one target, whatever its sources)."""
    return next(iter(getattr(Appointment, transition)._django_fsm.transitions.values())).target


@cache
def _depends_on_state_only(transition: str) -> bool:
    meta = getattr(Appointment, transition)._django_fsm
    return not any(t.conditions for t in meta.transitions.values())


def _state_allows(transition: str, appointment: Appointment) -> bool:
    """django-fsm's answer, remembered per (transition, state) when the transition has no
    conditions on the instance: the day list asks it for every action of every row."""
    if _depends_on_state_only(transition):
        return _allowed_from(transition, appointment.status)
    return can_proceed(getattr(appointment, transition))


WORKFLOW = "radiology.services.workflow."
BOOKING = "radiology.services.booking."
RESCHEDULING = "radiology.services.rescheduling."
CANCELLATION = "radiology.services.cancellation."
RESTAFFING = "radiology.services.restaffing."

_TABLE = [
    # The system's own steps: reminder delivery moves the appointment forward.
    ActionSpec("send_prep", "record_prep_sent", None, "Record prep instructions sent"),
    ActionSpec("send_no_expression_reminder", "record_no_expression_reminder_sent", None, "Record reminder sent"),
    ActionSpec("step_back_for_reschedule", "step_back_for_reschedule", "radiology.book_appointment", "Step back"),
    # What staff do, in the order a day goes.
    ActionSpec(
        "check_in",
        "check_in",
        "radiology.check_in_appointment",
        "Check in",
        style="btn-primary",
        url_name="check_in",
        inputs=("checklist",),
        service_path=WORKFLOW + "check_in_patient",
        time_rule=_on_the_day,
        path="check-in",
        title="Check in",
        done="{name} is checked in and waiting.",
    ),
    ActionSpec(
        "start",
        "start_procedure",
        "radiology.perform_procedure",
        "Start",
        style="btn-warning",
        url_name="start_procedure",
        optional_inputs=("radiologist", "technologist"),
        service_path=WORKFLOW + "start_procedure",
        path="start",
        title="Start procedure",
        done="{name}'s procedure has started.",
        verb="start the procedure",
    ),
    ActionSpec(
        "exam_done",
        "record_performed",
        "radiology.perform_procedure",
        "Exam done",
        style="btn-success",
        url_name="exam_done",
        service_path=WORKFLOW + "record_exam_done",
        path="exam-done",
        title="Exam done",
        done="{name}'s exam is done; the room is free. The outcome is on your list to record.",
        verb="mark the exam done",
    ),
    ActionSpec(
        "complete",
        "complete",
        "radiology.perform_procedure",
        "Record outcome",
        style="btn-success",
        url_name="complete_procedure",
        inputs=("outcome",),
        service_path=WORKFLOW + "complete_procedure",
        path="complete",
        title="Record the outcome",
        done="{name}'s procedure is complete; the outcome is saved.",
        verb="record the outcome",
    ),
    ActionSpec(
        "abort",
        "abort",
        "radiology.perform_procedure",
        "Abort",
        style="btn-outline-danger",
        url_name="abort_procedure",
        inputs=("reason_code",),
        reason_choices=AbortReason,
        service_path=WORKFLOW + "abort_procedure",
        path="abort",
        title="Abort procedure",
        done="{name}'s procedure was stopped; the room and staff are free again.",
        verb="abort the procedure",
    ),
    ActionSpec(
        "did_not_proceed",
        "record_not_proceeded",
        "radiology.check_in_appointment",
        "Did not proceed",
        style="btn-outline-danger",
        url_name="did_not_proceed",
        inputs=("reason_code",),
        optional_inputs=("arrived",),
        reason_choices=NotProceededReason,
        service_path=WORKFLOW + "record_not_proceeded",
        time_rule=_on_the_day,
        path="did-not-proceed",
        title="Did not proceed",
        done="{name} did not proceed today; she is on the schedulers' list to rebook.",
        verb="record “did not proceed”",
    ),
    ActionSpec(
        "no_show",
        "mark_no_show",
        "radiology.mark_no_show",
        "No-show",
        url_name="no_show",
        service_path=CANCELLATION + "mark_no_show",
        time_rule=_after_start_and_grace,
        path="no-show",
        title="Mark no-show",
        done="{name} is marked as not having come.",
        verb="record a no-show",
    ),
    ActionSpec(
        "arrange_follow_up",
        "arrange_follow_up",
        "radiology.arrange_follow_up",
        "Follow-up",
        style="btn-outline-primary",
        url_name="follow_up",
        inputs=("plan",),
        service_path=WORKFLOW + "arrange_follow_up",
        path="follow-up",
        title="Arrange follow-up",
        done="{name}'s follow-up is arranged.",
        verb="arrange a follow-up",
    ),
    # The schedulers' actions. Booking makes an appointment, so no appointment offers it.
    ActionSpec(
        "book",
        None,
        "radiology.book_appointment",
        "Book, reschedule or cancel appointments",
        service_path=BOOKING + "book_appointment",
    ),
    ActionSpec(
        "reschedule",
        None,
        "radiology.book_appointment",
        "Reschedule",
        style="btn-outline-primary",
        url_name="appointment_reschedule",
        service_path=RESCHEDULING + "reschedule_appointment",
        group="booking",
        time_rule=_upcoming,
    ),
    # Other people at the same time: the day list offers it too (group "staffing").
    ActionSpec(
        "restaff",
        None,
        "radiology.book_appointment",
        "Change staff",
        style="btn-outline-primary",
        url_name="appointment_restaff",
        optional_inputs=("radiologist", "technologist"),
        service_path=RESTAFFING + "restaff_appointment",
        group="staffing",
        time_rule=_not_yet_performed,
        verb="change staff",
    ),
    ActionSpec(
        "cancel",
        "cancel",
        "radiology.book_appointment",
        "Cancel appointment",
        style="btn-outline-danger",
        url_name="appointment_cancel",
        inputs=("reason_code",),
        reason_choices=CancelReason,
        service_path=CANCELLATION + "cancel_appointment",
        group="booking",
    ),
]
ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in _TABLE}
# What a person may ask for through a page or the API (the others are the system's).
USER_ACTIONS = [spec.name for spec in _TABLE if spec.url_name]
# What run_action takes by name: the user actions that change the state (a move needs a new
# time and people, and has its own door at every page and interface).
NAMED_ACTIONS = [name for name in USER_ACTIONS if ACTIONS[name].transition]
# Every body field some action takes, for the API to refuse one sent with another action.
BODY_FIELDS = sorted({name for spec in _TABLE for name in spec.body_fields})


def offered_actions(appointment: Appointment, *, permissions: set[str], now: datetime, group=None) -> list[ActionSpec]:
    """The actions a user with these permissions can take on the appointment now: the ones a
    page shows and the API lists, and exactly the ones `run_action` accepts. `group` is one
    group's name or several."""
    groups = (group,) if isinstance(group, str) else group
    return [
        spec
        for spec in _TABLE
        if spec.url_name
        and spec.permission in permissions
        and (groups is None or spec.group in groups)
        and spec.allows(appointment, now)
    ]

"""The one table of what staff can do to an appointment.

For each action: the state-machine transition it fires, the permission (role) it needs, the
inputs every door must supply, its label and button style, the page that performs it, and a
time rule for when it is offered. The day list, the appointment page, the radiologist's list
and the API's `allowed_actions` read `offered_actions`; `perform_transition` and
`run_action` enforce the same entries. Adding an action means adding a row here (and its
service), nothing else.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from django_fsm import can_proceed

from radiology.models import UPCOMING, Appointment
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
        return f"Only an upcoming appointment can be moved; this one is {appointment.get_status_display().lower()}."
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
    # The appointment page shows "booking" actions apart from the workflow ones.
    group: str = "workflow"
    # Beyond the state machine: a reason why it is not possible now, or None.
    time_rule: object = field(default=None, compare=False)

    def refusal(self, appointment: Appointment, now: datetime) -> str | None:
        """Why this action cannot be taken on this appointment now (state or time), or None."""
        if not self._state_allows(appointment):
            return f"Cannot {self.label.lower()}: the appointment is {appointment.get_status_display().lower()}."
        return self.time_rule(appointment, now) if self.time_rule else None

    def allows(self, appointment: Appointment, now: datetime) -> bool:
        """refusal() is None, without writing the sentence: the day list asks this for
        every action of every row."""
        return self._state_allows(appointment) and (self.time_rule is None or self.time_rule(appointment, now) is None)

    def _state_allows(self, appointment: Appointment) -> bool:
        return self.transition is None or _state_allows(self.transition, appointment)


@cache
def _allowed_from(transition: str, status: str) -> bool:
    return getattr(Appointment, transition)._django_fsm.has_transition(status)


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
        time_rule=_on_the_day,
    ),
    ActionSpec(
        "start",
        "start_procedure",
        "radiology.perform_procedure",
        "Start",
        style="btn-warning",
        url_name="start_procedure",
    ),
    ActionSpec(
        "complete",
        "complete",
        "radiology.perform_procedure",
        "Complete",
        style="btn-success",
        url_name="complete_procedure",
        inputs=("outcome",),
    ),
    ActionSpec(
        "abort",
        "abort",
        "radiology.perform_procedure",
        "Abort",
        style="btn-outline-danger",
        url_name="abort_procedure",
        inputs=("reason_code",),
    ),
    ActionSpec(
        "did_not_proceed",
        "record_not_proceeded",
        "radiology.check_in_appointment",
        "Did not proceed",
        style="btn-outline-danger",
        url_name="did_not_proceed",
        inputs=("reason_code",),
        time_rule=_on_the_day,
    ),
    ActionSpec(
        "no_show",
        "mark_no_show",
        "radiology.mark_no_show",
        "No-show",
        url_name="no_show",
        time_rule=_after_start_and_grace,
    ),
    ActionSpec(
        "arrange_follow_up",
        "arrange_follow_up",
        "radiology.arrange_follow_up",
        "Follow-up",
        style="btn-outline-primary",
        url_name="follow_up",
        inputs=("plan",),
    ),
    # The schedulers' actions on a booked appointment.
    ActionSpec(
        "reschedule",
        None,
        "radiology.book_appointment",
        "Reschedule",
        style="btn-outline-primary",
        url_name="appointment_reschedule",
        group="booking",
        time_rule=_upcoming,
    ),
    ActionSpec(
        "cancel",
        "cancel",
        "radiology.book_appointment",
        "Cancel appointment",
        style="btn-outline-danger",
        url_name="appointment_cancel",
        inputs=("reason_code",),
        group="booking",
    ),
]
ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in _TABLE}
# What a person may ask for through a page or the API (the others are the system's).
USER_ACTIONS = [spec.name for spec in _TABLE if spec.url_name]


def offered_actions(appointment: Appointment, *, permissions: set[str], now: datetime, group=None) -> list[ActionSpec]:
    """The actions a user with these permissions can take on the appointment now: the ones a
    page shows and the API lists, and exactly the ones `run_action` accepts."""
    return [
        spec
        for spec in _TABLE
        if spec.url_name
        and spec.permission in permissions
        and (group is None or spec.group == group)
        and spec.allows(appointment, now)
    ]

"""The appointment state machine: every legal move, every illegal one refused unchanged."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentTransition
from radiology.services.action_table import ACTIONS, _target
from radiology.services.told_table import fhir_status
from radiology.services.transitions import perform_transition
from tests.actions import take_action
from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

# (action, from, to, acting role, reason)
LEGAL = [
    ("send_prep", "booked", "prep_sent", None, ""),
    ("send_no_expression_reminder", "booked", "reminded", None, ""),
    ("send_no_expression_reminder", "prep_sent", "reminded", None, ""),
    ("check_in", "booked", "checked_in", "technologist", ""),
    ("check_in", "prep_sent", "checked_in", "nurse", ""),
    ("check_in", "reminded", "checked_in", "technologist", ""),
    ("start", "checked_in", "in_procedure", "technologist", ""),
    ("complete", "in_procedure", "completed", "radiologist", ""),
    ("arrange_follow_up", "completed", "follow_up", "radiologist", ""),
    ("abort", "in_procedure", "incomplete", "radiologist", "Could not cannulate the duct"),
    ("did_not_proceed", "booked", "did_not_proceed", "technologist", "No discharge today"),
    ("did_not_proceed", "prep_sent", "did_not_proceed", "nurse", "No discharge today"),
    ("did_not_proceed", "reminded", "did_not_proceed", "nurse", "No discharge today"),
    ("did_not_proceed", "checked_in", "did_not_proceed", "technologist", "No discharge today"),
    ("cancel", "booked", "cancelled", "scheduler", "Patient asked to cancel"),
    ("cancel", "prep_sent", "cancelled", "scheduler", "Patient asked to cancel"),
    ("cancel", "reminded", "cancelled", "scheduler", "Patient asked to cancel"),
    ("cancel", "checked_in", "cancelled", "manager", "Patient asked to cancel"),
    ("no_show", "booked", "no_show", "technologist", ""),
    ("no_show", "prep_sent", "no_show", "scheduler", ""),
    ("no_show", "reminded", "no_show", "nurse", ""),
    ("step_back_for_reschedule", "reminded", "prep_sent", "scheduler", ""),
    ("step_back_for_reschedule", "prep_sent", "prep_sent", "scheduler", ""),
]
ALL_STATES = [
    "booked",
    "prep_sent",
    "reminded",
    "checked_in",
    "in_procedure",
    "completed",
    "follow_up",
    "incomplete",
    "did_not_proceed",
    "cancelled",
    "no_show",
]
ROLE_FOR = {
    "check_in": "technologist",
    "start": "technologist",
    "complete": "radiologist",
    "arrange_follow_up": "radiologist",
    "abort": "technologist",
    "did_not_proceed": "technologist",
    "cancel": "scheduler",
    "no_show": "scheduler",
    "send_prep": None,
    "send_no_expression_reminder": None,
}
ILLEGAL = [
    (action, state)
    for action in ROLE_FOR
    for state in ALL_STATES
    if not any(a == action and s == state for a, s, *_ in LEGAL)
]


def _appointment_in(state, **kwargs):
    extra = {}
    if state == "cancelled":
        extra["cancel_reason"] = "earlier"
    if state in ("incomplete", "did_not_proceed"):
        extra["abort_reason"] = "earlier"
    return AppointmentFactory(status=state, **extra, **kwargs)


def _actor(role):
    return None if role is None else StaffMemberFactory(role=role).user


def _a_moment_after_start(appointment):
    # On the appointment's day, after start + grace: every time-guard is satisfied.
    return appointment.start + timedelta(minutes=20)


@pytest.mark.parametrize(("action", "source", "target", "role", "reason"), LEGAL)
def test_every_legal_transition_moves_the_appointment_and_logs_it(action, source, target, role, reason):
    appointment = _appointment_in(source)
    actor = _actor(role)
    now = _a_moment_after_start(appointment)

    with time_machine.travel(now, tick=False):
        take_action(appointment.pk, action, actor)

    appointment.refresh_from_db()
    assert appointment.status == target
    log = AppointmentTransition.objects.get(appointment=appointment)
    assert (log.action, log.from_status, log.to_status, log.actor, log.at) == (action, source, target, actor, now)
    assert log.note.startswith(reason)


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(action, state):
    appointment = _appointment_in(state)
    before = Appointment.objects.values().get(pk=appointment.pk)

    with time_machine.travel(_a_moment_after_start(appointment), tick=False):
        with pytest.raises(ServiceRefusal) as error:
            take_action(appointment.pk, action, _actor(ROLE_FOR[action]))

    assert error.value.code == "not_allowed"
    # Said as what is in the way: another state, or this very one already.
    message = error.value.message
    target = ACTIONS[action].transition and _target(ACTIONS[action].transition)
    expected = "Nothing to do: the appointment is already" if target == state else "Cannot"
    assert message.startswith(expected), message
    assert Appointment.objects.values().get(pk=appointment.pk) == before
    assert not AppointmentTransition.objects.filter(appointment=appointment).exists()


def test_the_status_cannot_be_assigned_directly():
    appointment = AppointmentFactory()
    with pytest.raises(AttributeError):
        appointment.status = "completed"


@pytest.mark.parametrize(("action", "role"), [("cancel", "scheduler"), ("did_not_proceed", "technologist")])
@pytest.mark.parametrize("reason_code", ["", "made_up"])
def test_endings_need_a_reason_code_from_the_catalog(action, role, reason_code):
    appointment = _appointment_in("checked_in")
    with time_machine.travel(_a_moment_after_start(appointment), tick=False):
        with pytest.raises(ServiceRefusal, match="reason") as error:
            take_action(appointment.pk, action, _actor(role), reason_code=reason_code)
    assert error.value.code == "invalid"
    assert "reason_code" in error.value.fields
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"


def test_the_other_reason_needs_a_note():
    appointment = _appointment_in("in_procedure")
    with time_machine.travel(_a_moment_after_start(appointment), tick=False):
        with pytest.raises(ServiceRefusal) as error:
            take_action(appointment.pk, "abort", _actor("radiologist"), reason_code="other", note=" ")
        assert "note" in error.value.fields
        take_action(appointment.pk, "abort", _actor("radiologist"), reason_code="other", note="Vasovagal episode")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.abort_reason_code, appointment.abort_reason) == (
        "incomplete",
        "other",
        "Other: Vasovagal episode",
    )


def test_no_show_is_refused_before_start_plus_grace():
    appointment = _appointment_in("reminded")
    with time_machine.travel(appointment.start + timedelta(minutes=10), tick=False):
        with pytest.raises(ServiceRefusal, match="15 minutes after"):
            take_action(appointment.pk, "no_show", _actor("technologist"))
    with time_machine.travel(appointment.start + timedelta(minutes=15), tick=False):
        take_action(appointment.pk, "no_show", _actor("technologist"))
    appointment.refresh_from_db()
    assert appointment.status == "no_show"


def test_check_in_is_refused_on_another_day():
    appointment = _appointment_in("reminded")
    with time_machine.travel(appointment.start - timedelta(days=1), tick=False):
        with pytest.raises(ServiceRefusal, match="only on the day"):
            take_action(appointment.pk, "check_in", _actor("technologist"))


def test_check_in_start_and_complete_record_their_times():
    appointment = _appointment_in("reminded")
    tech = _actor("technologist")
    times = {}
    for action, minutes in [("check_in", -10), ("start", 1), ("complete", 40)]:
        times[action] = appointment.start + timedelta(minutes=minutes)
        with time_machine.travel(times[action], tick=False):
            take_action(appointment.pk, action, tech)
    appointment.refresh_from_db()
    assert (appointment.checked_in_at, appointment.started_at, appointment.completed_at) == (
        times["check_in"],
        times["start"],
        times["complete"],
    )


def test_each_state_has_a_fhir_r4_status():
    expected = {
        "booked": "booked",
        "prep_sent": "booked",
        "reminded": "booked",
        "checked_in": "checked-in",
        "in_procedure": "arrived",
        "completed": "fulfilled",
        "follow_up": "fulfilled",
        "incomplete": "fulfilled",
        "did_not_proceed": "cancelled",
        "cancelled": "cancelled",
        "no_show": "noshow",
    }
    assert {state: fhir_status(_appointment_in(state).status) for state in ALL_STATES} == expected


def test_an_unknown_action_is_a_clear_error():
    appointment = AppointmentFactory()
    with pytest.raises(ServiceRefusal, match="Unknown action"):
        perform_transition(appointment_id=appointment.pk, action="teleport", actor=None)


def test_a_missing_appointment_is_not_found():
    with pytest.raises(ServiceRefusal) as error:
        perform_transition(appointment_id=999999, action="send_prep", actor=None)
    assert error.value.code == "not_found"


def test_the_log_keeps_the_whole_history_in_order():
    appointment = _appointment_in("booked")
    tech = _actor("technologist")
    steps = [("send_prep", None, -72 * 60), ("send_no_expression_reminder", None, -48 * 60), ("check_in", tech, -5)]
    for action, actor, minutes in steps:
        with time_machine.travel(appointment.start + timedelta(minutes=minutes), tick=False):
            take_action(appointment.pk, action, actor)
    rows = list(appointment.transitions.values_list("action", "from_status", "to_status", "note"))
    assert rows == [
        ("send_prep", "booked", "prep_sent", ""),
        ("send_no_expression_reminder", "prep_sent", "reminded", ""),
        ("check_in", "reminded", "checked_in", "Checklist confirmed"),
    ]
    assert appointment.transitions.first().actor_name == "System"
    assert timezone.is_aware(appointment.transitions.last().at)

"""The action table is the one rule: what a page or the API offers a role is exactly what the
services accept from that role, in every state, before and after the start."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from radiology.errors import ServiceRefusal
from radiology.models import AppointmentStatus
from radiology.services.action_table import ACTIONS, USER_ACTIONS, offered_actions
from tests.actions import take_action
from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

ROLES = ["scheduler", "technologist", "nurse", "radiologist", "manager"]
ACTIONS_WITH_A_STATE_CHANGE = [name for name in USER_ACTIONS if ACTIONS[name].transition]


class Rollback(Exception):
    pass


def _reason_for(state: str) -> dict:
    """An ended appointment keeps why it ended (the database insists)."""
    if state == "cancelled":
        return {"cancel_reason": "earlier"}
    if state in ("incomplete", "did_not_proceed"):
        return {"abort_reason": "earlier"}
    return {}


def _accepted(appointment, action, user) -> bool:
    try:
        with transaction.atomic():
            take_action(appointment.pk, action, user)
            raise Rollback
    except Rollback:
        return True
    except ServiceRefusal:
        return False


@pytest.mark.parametrize("state", AppointmentStatus.values)
@pytest.mark.parametrize("minutes_after_start", [-30, 20])
def test_every_offered_action_is_accepted_and_every_refused_one_is_not_offered(state, minutes_after_start):
    appointment = AppointmentFactory(status=state, **_reason_for(state))
    users = {role: StaffMemberFactory(role=role).user for role in ROLES}
    mismatches = []
    with time_machine.travel(appointment.start + timedelta(minutes=minutes_after_start), tick=False):
        for role, user in users.items():
            offered = {
                spec.name
                for spec in offered_actions(
                    appointment,
                    permissions=user.get_all_permissions(),
                    now=appointment.start + timedelta(minutes=minutes_after_start),
                )
            }
            for action in ACTIONS_WITH_A_STATE_CHANGE:
                if _accepted(appointment, action, user) != (action in offered):
                    mismatches.append(f"{role}/{action}: offered={action in offered}")
    assert not mismatches, mismatches


def test_no_show_is_offered_only_after_the_start_and_its_grace():
    appointment = AppointmentFactory(status="reminded")
    permissions = StaffMemberFactory(role="technologist").user.get_all_permissions()

    def offered(minutes):
        now = appointment.start + timedelta(minutes=minutes)
        return {spec.name for spec in offered_actions(appointment, permissions=permissions, now=now)}

    assert "no_show" not in offered(-60)
    assert "no_show" not in offered(14)
    assert "no_show" in offered(15)
    assert {"check_in", "did_not_proceed"} <= offered(-30)


def test_managers_are_offered_no_clinical_action():
    appointment = AppointmentFactory(status="reminded")
    permissions = StaffMemberFactory(role="manager").user.get_all_permissions()
    offered = {
        spec.name
        for spec in offered_actions(appointment, permissions=permissions, now=appointment.start + timedelta(hours=1))
    }
    assert offered == {"reschedule", "restaff", "cancel"}


def test_every_action_a_person_takes_names_the_service_that_does_it():
    for name in [*USER_ACTIONS, "book"]:
        assert callable(ACTIONS[name].service), name


def _record_the_call(**arguments):
    CALLS.append(arguments)
    return "done"


CALLS = []


def test_run_action_takes_a_new_row_with_nothing_else_to_edit(monkeypatch):
    from radiology.services import action_table
    from radiology.services.actions import run_action

    row = action_table.ActionSpec(
        "second_look",
        "check_in",
        "radiology.check_in_appointment",
        "Second look",
        url_name="check_in",
        inputs=("reason_code",),
        reason_choices=action_table.NotProceededReason,
        service_path=f"{__name__}._record_the_call",
    )
    monkeypatch.setitem(action_table.ACTIONS, "second_look", row)
    monkeypatch.setattr(action_table, "NAMED_ACTIONS", [*action_table.NAMED_ACTIONS, "second_look"])
    monkeypatch.setattr("radiology.services.actions.NAMED_ACTIONS", action_table.NAMED_ACTIONS)
    CALLS.clear()

    with pytest.raises(ServiceRefusal) as refused:
        run_action(appointment_id=7, action="second_look", actor=None, inputs={})
    assert refused.value.fields == {"reason_code": "Required for second_look."}
    assert run_action(appointment_id=7, action="second_look", actor=None, inputs={"reason_code": "other"}) == "done"
    assert CALLS == [{"appointment_id": 7, "actor": None, "now": None, "reason_code": "other", "note": ""}]


@pytest.mark.parametrize("state", AppointmentStatus.values)
def test_reschedule_refuses_with_the_tables_sentence_whenever_the_table_does(state):
    from radiology.services.rescheduling import reschedule_appointment

    appointment = AppointmentFactory(status=state, **_reason_for(state))
    scheduler = StaffMemberFactory(role="scheduler").user
    now = appointment.start - timedelta(days=3)
    refusal = ACTIONS["reschedule"].refusal(appointment, now)
    if refusal is None:
        assert state in ("booked", "prep_sent", "reminded")
        return
    with pytest.raises(ServiceRefusal) as refused:
        reschedule_appointment(
            appointment_id=appointment.pk, start=appointment.start + timedelta(days=1), actor=scheduler, now=now
        )
    assert refused.value.message == refusal

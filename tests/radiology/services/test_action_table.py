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
    extra = {"cancel_reason": "earlier"} if state == "cancelled" else {}
    if state in ("incomplete", "did_not_proceed"):
        extra = {"abort_reason": "earlier"}
    appointment = AppointmentFactory(status=state, **extra)
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
    assert offered == {"reschedule", "cancel"}

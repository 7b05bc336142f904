"""Two people acting on one appointment at once: one wins, the other is told."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentTransition, CheckInChecklist
from tests.actions import take_action
from tests.factories import AppointmentFactory, StaffMemberFactory
from tests.race import race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("action", "role"), [("check_in", "technologist"), ("cancel", "scheduler")])
def test_two_threads_moving_one_appointment_exactly_one_wins(action, role):
    appointment = AppointmentFactory(status="reminded")
    users = [StaffMemberFactory(role=role).user for _ in range(2)]

    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        outcomes = race(*[lambda user=user: take_action(appointment.pk, action, user) for user in users])

    winners = [o for o in outcomes if isinstance(o, Appointment)]
    losers = [o for o in outcomes if isinstance(o, ServiceRefusal)]
    assert len(winners) == 1 and len(losers) == 1
    # The one refused is told what happened, by whom (issue #22: "who acted when").
    winner = users[0] if winners[0].transitions.last().actor == users[0] else users[1]
    assert "the appointment is" in losers[0].message
    assert (winner.get_full_name() or winner.get_username()) in losers[0].message
    assert AppointmentTransition.objects.filter(appointment_id=appointment.pk).count() == 1
    assert Appointment.objects.get(pk=appointment.pk).status in {"checked_in", "cancelled"}
    # Nothing half-done: the loser wrote no checklist either.
    assert CheckInChecklist.objects.filter(appointment_id=appointment.pk).count() == (action == "check_in")


@pytest.mark.django_db
def test_a_stale_copy_cannot_overwrite_a_newer_state():
    """Even without a row lock (SQLite), a save from a stale read is refused."""
    from django_fsm import ConcurrentTransition

    appointment = AppointmentFactory(status="reminded")
    stale = Appointment.objects.get(pk=appointment.pk)
    take_action(appointment.pk, "cancel", None)
    stale.mark_no_show()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"

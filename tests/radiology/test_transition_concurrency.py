"""Two people acting on one appointment at once: one wins, the other is told."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction

from radiology.errors import AppointmentActionError
from radiology.models import Appointment, AppointmentTransition
from radiology.services.transitions import perform_transition
from tests.factories import AppointmentFactory, StaffMemberFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["check_in", "cancel"])
def test_two_threads_moving_one_appointment_exactly_one_wins(action):
    appointment = AppointmentFactory(status="reminded")
    users = [StaffMemberFactory(role="manager").user for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def act(user):
        try:
            barrier.wait()
            perform_transition(appointment_id=appointment.pk, action=action, actor=user, reason="clash")
            outcomes.append("ok")
        except AppointmentActionError as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        threads = [threading.Thread(target=act, args=(user,)) for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(outcomes, key=lambda o: o != "ok")[0] == "ok"
    assert outcomes.count("ok") == 1
    loser = next(o for o in outcomes if o != "ok")
    assert loser.startswith("Cannot ") and "the appointment is" in loser
    assert AppointmentTransition.objects.filter(appointment_id=appointment.pk).count() == 1
    assert Appointment.objects.get(pk=appointment.pk).status in {"checked_in", "cancelled"}


@pytest.mark.django_db
def test_a_stale_copy_cannot_overwrite_a_newer_state():
    """Even without a row lock (SQLite), a save from a stale read is refused."""
    from django_fsm import ConcurrentTransition

    appointment = AppointmentFactory(status="reminded")
    stale = Appointment.objects.get(pk=appointment.pk)
    perform_transition(appointment_id=appointment.pk, action="cancel", actor=None, reason="first")
    stale.mark_no_show()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"

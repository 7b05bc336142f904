"""Two technologists checking the same patient in at once: one wins, the other is told."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from radiology.errors import AppointmentActionError
from radiology.models import AppointmentTransition, CheckInChecklist
from radiology.services.workflow import Checklist, check_in_patient
from tests.factories import AppointmentFactory, StaffMemberFactory

ALL_CONFIRMED = Checklist(True, True, False, True, True, True, True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_technologists_checking_in_at_once_one_wins_and_one_is_told():
    appointment = AppointmentFactory(status="reminded")
    users = [StaffMemberFactory(role="technologist").user for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def act(user):
        try:
            barrier.wait()
            check_in_patient(appointment_id=appointment.pk, actor=user, checklist=ALL_CONFIRMED)
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

    assert outcomes.count("ok") == 1
    assert "Cannot check in: the appointment is checked in." in outcomes
    assert CheckInChecklist.objects.filter(appointment_id=appointment.pk).count() == 1
    assert AppointmentTransition.objects.filter(appointment_id=appointment.pk).count() == 1

"""Real threads on PostgreSQL: two schedulers give the one free radiologist to two
appointments at the same minute; the exclusion constraint lets one through, the other is
told "just taken" and keeps its radiologist."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from radiology.errors import ServiceRefusal
from radiology.models import Appointment
from radiology.services.booking import book_appointment
from radiology.services.restaffing import restaff_appointment
from tests.factories import PatientFactory, StaffMemberFactory, small_department
from tests.radiology.services.test_booking_concurrency import run_after_all_have_chosen

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, tzinfo=NY)
SLOT = datetime(2027, 1, 13, 10, tzinfo=NY)


def test_two_schedulers_giving_one_free_radiologist_to_two_appointments_at_once_get_one_change(galactogram):
    with time_machine.travel(NOW, tick=False):
        team = small_department(rooms=2, radiologists=3, technologists=2)
        scheduler = StaffMemberFactory(scheduler=True).user
        appointments = [
            book_appointment(
                patient=PatientFactory(),
                procedure=galactogram,
                start=SLOT,
                duration_minutes=45,
                actor=scheduler,
                room=team.rooms[i],
                radiologist=team.radiologists[i],
                technologist=team.technologists[i],
                side="left",
                indication="spontaneous_single_duct",
            )
            for i in range(2)
        ]
        cover = team.radiologists[2]
        results = run_after_all_have_chosen(
            2,
            lambda i: restaff_appointment(appointment_id=appointments[i].pk, actor=scheduler, radiologist=cover),
        )

    changed = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, ServiceRefusal)]
    assert len(changed) == 1 and len(refused) == 1, results
    assert (refused[0].code, refused[0].message) == (
        "conflict",
        "That time was just taken. Here are the next free times.",
    )
    with_cover = Appointment.objects.filter(radiologist=cover).values_list("pk", flat=True)
    assert list(with_cover) == [changed[0].pk]
    loser = next(a for a in appointments if a.pk != changed[0].pk)
    assert Appointment.objects.get(pk=loser.pk).radiologist == loser.radiologist
    assert not loser.transitions.filter(action="restaff").exists()

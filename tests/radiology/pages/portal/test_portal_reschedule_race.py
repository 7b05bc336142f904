"""Real threads on PostgreSQL: two patients pick the same free time from their links at
once; the database's no-overlap rule lets one have it, the other gets fresh choices."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from radiology.errors import ServiceRefusal
from radiology.models import Appointment
from radiology.services import portal as services
from radiology.services.booking import book_appointment
from tests.factories import PatientFactory, StaffMemberFactory, small_department
from tests.race import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, tzinfo=NY)


def test_two_patients_taking_the_same_time_one_moves_the_other_gets_fresh_choices(galactogram):
    with time_machine.travel(NOW, tick=False):
        small_department(rooms=1, radiologists=1, technologists=1)
        scheduler = StaffMemberFactory(scheduler=True).user
        appointments = [
            book_appointment(
                patient=PatientFactory(), procedure=galactogram, start=start, duration_minutes=45, actor=scheduler
            )
            for start in (datetime(2027, 1, 13, 10, tzinfo=NY), datetime(2027, 1, 14, 10, tzinfo=NY))
        ]
        wanted = services.reschedule_choices(appointment=appointments[0], now=NOW)[0]
        results = race(
            *[
                lambda a=a: services.reschedule_by_patient(appointment_id=a.pk, start=wanted, now=NOW)
                for a in appointments
            ],
            timeout=60,
        )

    moved = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, ServiceRefusal)]
    assert len(moved) == 1 and len(refused) == 1
    assert refused[0].code == "conflict"
    assert refused[0].suggestions and wanted not in refused[0].suggestions
    assert Appointment.objects.filter(start=wanted).count() == 1

"""Twenty systems booking the same slot at the same moment, on PostgreSQL with real threads."""

from datetime import datetime, time

import pytest

from radiology.models import Appointment
from scheduling.clinic_time import clinic_zone
from scheduling.models import Reservation
from tests.factories import PatientFactory, StaffMemberFactory, a_weekday, small_department
from tests.race import race
from tests.radiology.interfaces.api.conftest import client_for

CLIENTS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_clients_booking_one_slot_get_one_201_and_nineteen_409s_with_suggestions():
    department = small_department(rooms=1, radiologists=1, technologists=1)
    patients = [PatientFactory() for _ in range(CLIENTS)]
    clients = [client_for(StaffMemberFactory(scheduler=True).user) for _ in range(CLIENTS)]
    start = datetime.combine(a_weekday(10), time(10), tzinfo=clinic_zone())

    def attempt(n):
        body = {"patient": patients[n].pk, "procedure": "galactogram", "start": start.isoformat(), "duration": 45}
        response = clients[n].post("/api/v1/appointments", body, format="json")
        return response.status_code, response.json()

    results = race(*[lambda n=n: attempt(n) for n in range(CLIENTS)], timeout=60)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (CLIENTS - 1), results
    for status, body in results:
        if status == 409:
            assert body["error"]
            assert body["suggestions"], body
            assert all(s["start"] != start.isoformat() for s in body["suggestions"])
    assert Appointment.objects.count() == 1
    for resource in (
        department.rooms[0].resource,
        department.radiologists[0].resource,
        department.technologists[0].resource,
    ):
        assert Reservation.objects.filter(resource=resource, active=True).count() == 1

"""Two systems $book the same proposal at the same moment: PostgreSQL lets one win."""

import threading

import pytest
from django.db import connection

from radiology.models import Appointment
from tests.factories import PatientFactory, StaffMemberFactory
from tests.radiology.interfaces.api.conftest import client_for
from tests.radiology.interfaces.fhir.conftest import at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bookings_of_one_proposal_give_one_201_and_one_409(clock, department):
    room, radiologist, technologist = department.rooms[0], department.radiologists[0], department.technologists[0]
    clients = [client_for(StaffMemberFactory(scheduler=True).user) for _ in range(2)]
    patients = [PatientFactory() for _ in range(2)]
    barrier = threading.Barrier(2)
    results = [None, None]

    def attempt(n):
        proposal = {
            "resourceType": "Appointment",
            "status": "proposed",
            "start": at(2, 10).isoformat(),
            "minutesDuration": 45,
            "participant": [
                {"actor": {"reference": f"Patient/{patients[n].pk}"}, "status": "needs-action"},
                {"actor": {"reference": f"Practitioner/{radiologist.pk}"}, "status": "needs-action"},
                {"actor": {"reference": f"Practitioner/{technologist.pk}"}, "status": "needs-action"},
                {"actor": {"reference": f"Location/{room.pk}"}, "status": "needs-action"},
            ],
        }
        try:
            barrier.wait(timeout=30)
            response = clients[n].post("/fhir/R4/Appointment/$book", proposal, format="json")
            results[n] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(status for status, _ in results) == [201, 409], results
    conflict = next(body for status, body in results if status == 409)
    assert conflict["entry"][0]["resource"]["resourceType"] == "OperationOutcome"
    assert Appointment.objects.count() == 1

"""Appointment/$hold (issue 21 D): a $find proposal held for the client that asked, with the
same expiring hold as earlier-slot offers; $book of it by that client books it, by anyone else
is a 409 OperationOutcome; once it lapses the time is free again. Validated as R4 (R4B)."""

from datetime import timedelta

import pytest
import time_machine

from radiology.models import Appointment
from radiology.services import offers
from scheduling.models import Reservation
from tests.factories import PatientFactory, StaffMemberFactory
from tests.radiology.interfaces.api.conftest import client_for
from tests.radiology.interfaces.fhir.conftest import NOW, fhir
from tests.radiology.interfaces.fhir.test_fhir_operations import parameters, proposals

pytestmark = pytest.mark.django_db
HOLD_SYSTEM = "urn:galactogram:fhir:hold"
EXPIRES = "urn:galactogram:fhir:StructureDefinition:hold-expires"


@pytest.fixture
def proposal(client, clock, department):
    patient = PatientFactory()
    found = fhir(
        client,
        "POST",
        "Appointment/$find",
        parameters(start="2026-11-19", _count=1, patient={"reference": f"Patient/{patient.pk}"}),
    )
    return proposals(found)[0]


def test_hold_answers_the_pending_proposal_with_its_hold_and_expiry(client, proposal, settings):
    response = fhir(client, "POST", "Appointment/$hold", proposal)
    held = response.body
    assert response.status_code == 200
    assert held["status"] == "pending" and held["start"] == proposal["start"]
    [identifier] = held["identifier"]
    assert identifier["system"] == HOLD_SYSTEM
    [expiry] = [e for e in held["extension"] if e["url"] == EXPIRES]
    assert expiry["valueDateTime"] == (NOW + timedelta(minutes=settings.FHIR_HOLD_MINUTES)).isoformat()
    # Nobody else finds it while it is held.
    again = proposals(fhir(client, "POST", "Appointment/$find", parameters(start="2026-11-19", _count=1)))
    assert again[0]["start"] != proposal["start"]


def test_book_of_a_held_proposal_by_its_holder_books_it_and_lets_the_hold_go(client, proposal):
    held = fhir(client, "POST", "Appointment/$hold", proposal).body
    response = fhir(client, "POST", "Appointment/$book", held)
    assert response.status_code == 201
    appointment = Appointment.objects.get(pk=response.body["id"])
    assert response.body["start"] == held["start"] and appointment.status == "booked"
    assert not Reservation.objects.filter(holder__startswith="fhirhold:", active=True).exists()


def test_book_of_a_held_proposal_by_another_client_is_409_and_books_nothing(client, proposal):
    held = fhir(client, "POST", "Appointment/$hold", proposal).body
    other = client_for(StaffMemberFactory(role="scheduler").user)
    response = fhir(other, "POST", "Appointment/$book", held)
    assert response.status_code == 409
    assert response.body["resourceType"] == "OperationOutcome"
    assert "another client" in response.body["issue"][0]["diagnostics"]
    # Nor can anyone book the held time without naming the hold.
    plain = {k: v for k, v in held.items() if k not in ("identifier", "extension")} | {"status": "proposed"}
    assert fhir(other, "POST", "Appointment/$book", plain).status_code == 409
    assert not Appointment.objects.exists()


def test_a_lapsed_hold_is_free_for_all_and_its_book_is_409(client, proposal, settings):
    held = fhir(client, "POST", "Appointment/$hold", proposal).body
    later = NOW + timedelta(minutes=settings.FHIR_HOLD_MINUTES, seconds=1)
    with time_machine.travel(later, tick=False):
        assert fhir(client, "POST", "Appointment/$book", held).status_code == 409
        offers.advance_due_rounds(now=later)  # the dispatcher's sweep
        assert not Reservation.objects.filter(holder__startswith="fhirhold:", active=True).exists()
        other = client_for(StaffMemberFactory(role="scheduler").user)
        plain = {k: v for k, v in held.items() if k not in ("identifier", "extension")} | {"status": "proposed"}
        assert fhir(other, "POST", "Appointment/$book", plain).status_code == 201


def test_hold_of_a_taken_time_is_409(client, proposal):
    fhir(client, "POST", "Appointment/$book", proposal)
    response = fhir(client, "POST", "Appointment/$hold", proposal)
    assert response.status_code == 409 and response.body["resourceType"] == "OperationOutcome"

"""POST /api/v1/appointments/{id}/staff: other people at the same time, through the same
service as the pages; GET the people free then."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from radiology.models import Appointment
from radiology.services.booking import book_appointment
from tests.factories import PatientFactory, UnavailabilityFactory, small_department

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, tzinfo=NY)
WEDNESDAY_10 = datetime(2027, 1, 13, 10, tzinfo=NY)


@pytest.fixture
def team():
    return small_department(rooms=2, radiologists=2, technologists=2)


@pytest.fixture
def booked(galactogram, scheduler, team):
    def make(room=0, radiologist=0, technologist=0):
        return book_appointment(
            patient=PatientFactory(),
            procedure=galactogram,
            start=WEDNESDAY_10,
            duration_minutes=45,
            actor=scheduler,
            room=team.rooms[room],
            radiologist=team.radiologists[radiologist],
            technologist=team.technologists[technologist],
            side="left",
            indication="spontaneous_single_duct",
        )

    return make


def test_a_new_technologist_at_the_same_time_comes_back_in_the_appointment(api, booked, team):
    appointment = booked()
    response = api.post(
        f"/api/v1/appointments/{appointment.pk}/staff",
        {"technologist": team.technologists[1].pk, "note": "Terry is in theatre"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["resources"]["technologist"]["id"] == team.technologists[1].pk
    assert body["start"] == "2027-01-13T10:00:00-05:00" and body["version"] == 1
    assert body["transitions"][-1]["note"].endswith("Terry is in theatre")


def test_the_people_free_then_are_listed(api, booked, team):
    appointment = booked()
    body = api.get(f"/api/v1/appointments/{appointment.pk}/staff").json()
    assert [p["id"] for p in body["radiologist"]] == [team.radiologists[1].pk]
    assert [p["id"] for p in body["technologist"]] == [team.technologists[1].pk]


def test_a_person_booked_elsewhere_then_is_a_409_with_who_is_free_instead(api, booked, team):
    appointment = booked()
    booked(room=1, radiologist=1, technologist=1)
    response = api.post(
        f"/api/v1/appointments/{appointment.pk}/staff", {"radiologist": team.radiologists[1].pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"] == "That time was just taken. Here are the next free times."
    assert response.json()["suggestions"] == []  # nobody else is free then
    assert Appointment.objects.get(pk=appointment.pk).radiologist == team.radiologists[0]


def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(api, booked, team):
    appointment = booked()
    unknown = api.post(f"/api/v1/appointments/{appointment.pk}/staff", {"radiologist": 999999}, format="json")
    assert unknown.status_code == 400 and "radiologist" in unknown.json()["fields"]
    nobody = api.post(f"/api/v1/appointments/{appointment.pk}/staff", {}, format="json")
    assert nobody.status_code == 400 and set(nobody.json()["fields"]) == {"radiologist"}
    UnavailabilityFactory(
        resource=team.radiologists[1].resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=1)
    )
    away = api.post(
        f"/api/v1/appointments/{appointment.pk}/staff", {"radiologist": team.radiologists[1].pk}, format="json"
    )
    assert away.status_code == 400 and "time off or closure" in away.json()["fields"]["radiologist"]
    assert Appointment.objects.get(pk=appointment.pk).radiologist == team.radiologists[0]


def test_a_technologist_may_read_who_is_free_but_not_change_it(tech_api, booked, team):
    appointment = booked()
    assert tech_api.get(f"/api/v1/appointments/{appointment.pk}/staff").status_code == 200
    response = tech_api.post(
        f"/api/v1/appointments/{appointment.pk}/staff", {"radiologist": team.radiologists[1].pk}, format="json"
    )
    assert response.status_code == 403


def test_a_cancelled_appointment_is_a_409_and_an_unknown_one_a_404(api, booked, team, scheduler):
    from radiology.services.cancellation import cancel_appointment

    appointment = booked()
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")
    response = api.post(
        f"/api/v1/appointments/{appointment.pk}/staff", {"radiologist": team.radiologists[1].pk}, format="json"
    )
    assert response.status_code == 409 and "still to be performed" in response.json()["error"]
    assert api.post("/api/v1/appointments/999999/staff", {}, format="json").status_code == 404

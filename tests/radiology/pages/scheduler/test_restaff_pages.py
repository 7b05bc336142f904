"""The re-staff page (from the appointment page, the day list and the to-do's one click) and
the outage page: who is free, one confirmation, what was done."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from radiology.models import Appointment
from radiology.services.booking import book_appointment
from scheduling.models import Unavailability
from tests.factories import PatientFactory, UnavailabilityFactory, small_department

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 11, 7, 30, tzinfo=NY)  # Monday morning
WEDNESDAY_10 = datetime(2027, 1, 13, 10, tzinfo=NY)


@pytest.fixture
def team():
    return small_department(rooms=2, radiologists=3, technologists=2)


@pytest.fixture
def booked(galactogram, scheduler, team):
    return book_appointment(
        patient=PatientFactory(given_name="Ana", family_name="Lopez"),
        procedure=galactogram,
        start=WEDNESDAY_10,
        duration_minutes=45,
        actor=scheduler,
        room=team.rooms[0],
        radiologist=team.radiologists[0],
        technologist=team.technologists[0],
        side="left",
        indication="spontaneous_single_duct",
    )


def row(page: str, appointment) -> str:
    return re.search(rf'<tr[^>]*data-appointment="{appointment.pk}".*?</tr>', page, re.S).group(0)


def test_the_page_offers_only_the_people_free_then_and_changes_the_staff(scheduler_client, booked, team):
    # The third radiologist is off that morning.
    UnavailabilityFactory(
        resource=team.radiologists[2].resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=2)
    )
    page = scheduler_client.get(f"/appointments/{booked.pk}/staff/").text
    offered = re.search(r'<select name="radiologist".*?</select>', page, re.S).group(0)
    assert f"Keep {team.radiologists[0].name}" in offered
    assert team.radiologists[1].name in offered and team.radiologists[2].name not in offered

    response = scheduler_client.post(
        f"/appointments/{booked.pk}/staff/", {"radiologist": team.radiologists[1].pk, "technologist": ""}
    )

    assert response.status_code == 302 and response["Location"] == booked.get_absolute_url()
    booked.refresh_from_db()
    assert (booked.start, booked.radiologist, booked.technologist) == (
        WEDNESDAY_10,
        team.radiologists[1],
        team.technologists[0],
    )
    shown = scheduler_client.get(response["Location"]).text
    assert "The patient is not told" in shown


def test_someone_who_took_the_person_first_is_a_clear_conflict_with_a_fresh_list(
    scheduler_client, booked, team, galactogram, scheduler
):
    page = scheduler_client.get(f"/appointments/{booked.pk}/staff/").text
    assert team.radiologists[1].name in page
    book_appointment(  # meanwhile someone books the second radiologist at that time
        patient=PatientFactory(),
        procedure=galactogram,
        start=WEDNESDAY_10,
        duration_minutes=45,
        actor=scheduler,
        room=team.rooms[1],
        radiologist=team.radiologists[1],
        technologist=team.technologists[1],
        side="left",
        indication="spontaneous_single_duct",
    )

    response = scheduler_client.post(f"/appointments/{booked.pk}/staff/", {"radiologist": team.radiologists[1].pk})

    assert response.status_code == 409
    assert "That time was just taken" in response.text
    offered = re.search(r'<select name="radiologist".*?</select>', response.text, re.S).group(0)
    assert team.radiologists[1].name not in offered and team.radiologists[2].name in offered
    assert Appointment.objects.get(pk=booked.pk).radiologist == team.radiologists[0]


def test_someone_on_time_off_is_refused_next_to_the_field(scheduler_client, booked, team):
    UnavailabilityFactory(
        resource=team.radiologists[2].resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=2)
    )
    response = scheduler_client.post(f"/appointments/{booked.pk}/staff/", {"radiologist": team.radiologists[2].pk})
    assert response.status_code == 400
    assert "is not available then (time off or closure)" in response.text


def test_the_appointment_page_and_the_day_list_offer_it_to_schedulers_only(client, scheduler, technologist, booked):
    for user, offered in ((scheduler, True), (technologist, False)):
        client.force_login(user)
        detail = client.get(booked.get_absolute_url()).text
        day = client.get("/day/2027-01-13/").text
        assert ('data-action="restaff"' in detail) is offered
        assert ('data-action="restaff"' in row(day, booked)) is offered


def test_time_off_over_a_booking_says_needs_new_staff_with_one_click_when_someone_is_free(
    scheduler_client, booked, team
):
    UnavailabilityFactory(
        resource=team.radiologists[0].resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=8)
    )

    todo = row(scheduler_client.get("/todo/").text, booked)

    assert f"Needs new staff: {team.radiologists[0].name} is off then; {team.radiologists[1].name} is free" in todo
    assert "Needs a new time" not in todo
    form = re.search(r'<form[^>]*data-testid="one-click-restaff".*?</form>', todo, re.S).group(0)
    assert "data-confirm=" in form and f'name="radiologist" value="{team.radiologists[1].pk}"' in form
    response = scheduler_client.post(
        f"/appointments/{booked.pk}/staff/", {"radiologist": team.radiologists[1].pk, "next": "/todo/"}
    )
    assert response["Location"] == "/todo/"
    assert Appointment.objects.get(pk=booked.pk).radiologist == team.radiologists[1]
    assert "Needs" not in row(scheduler_client.get("/todo/").text, booked)  # only "not confirmed" is left


def test_time_off_with_nobody_free_to_take_over_still_needs_a_new_time(scheduler_client, booked, team):
    for member in (team.radiologists[0], team.radiologists[1], team.radiologists[2]):
        UnavailabilityFactory(resource=member.resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=8))
    todo = row(scheduler_client.get("/todo/").text, booked)
    assert "Needs a new time" in todo and "one-click-restaff" not in todo


def test_the_outage_page_lists_what_it_catches_then_does_it_and_reports(scheduler_client, booked, team):
    query = {
        "resource": team.radiologists[0].resource_id,
        "start_day": "2027-01-13",
        "start_time": "08:00",
        "end_day": "2027-01-13",
        "end_time": "18:00",
        "reason": "Off sick",
    }
    preview = scheduler_client.get("/outage/", query)
    assert preview.status_code == 200
    planned = row(preview.text, booked)
    assert 'data-plan="restaff"' in planned and f"{team.radiologists[1].name} instead of" in planned
    assert not Unavailability.objects.exists()

    response = scheduler_client.post("/outage/", query)

    assert response.status_code == 302 and response["Location"] == "/outage/"
    report = scheduler_client.get("/outage/").text
    assert 'data-testid="outage-report"' in report
    assert 'data-outcome="restaff"' in row(report, booked)
    assert Appointment.objects.get(pk=booked.pk).radiologist == team.radiologists[1]
    assert Unavailability.objects.get().reason == "Off sick"
    assert 'data-testid="outage-report"' not in scheduler_client.get("/outage/").text  # shown once


def test_an_outage_ending_before_it_starts_is_said_on_the_form(scheduler_client, team):
    response = scheduler_client.get(
        "/outage/",
        {
            "resource": team.rooms[0].resource_id,
            "start_day": "2027-01-13",
            "start_time": "12:00",
            "end_day": "2027-01-13",
            "end_time": "10:00",
            "reason": "Unit down",
        },
    )
    assert response.status_code == 400 and "The outage must end after it starts." in response.text

"""Booking, rescheduling and cancelling through the scheduler pages."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytest

from radiology.models import Appointment
from scheduling.clinic_time import clinic_zone
from scheduling.models import Reservation
from tests.factories import PatientFactory, StaffMemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=clinic_zone())  # a Monday
THURSDAY = NOW.date() + timedelta(days=3)


def at(day, hour, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clinic_zone())


def slot_fields(dept, start, duration=45) -> dict:
    return {
        "procedure": "galactogram",
        "start": start.isoformat(),
        "duration": duration,
        "room": dept.rooms[0].pk,
        "radiologist": dept.radiologists[0].pk,
        "technologist": dept.technologists[0].pk,
    }


def book_through_page(client, dept, patient, start, **extra):
    return client.post("/schedule/book/", {**slot_fields(dept, start), "patient": patient.pk, **extra})


def test_the_search_lists_the_earliest_free_slots_with_book_links(scheduler_client, dept):
    day = THURSDAY.isoformat()

    response = scheduler_client.get(
        "/schedule/", {"procedure": "galactogram", "duration": 45, "start": day, "end": day}
    )

    assert response.status_code == 200
    rows = response.context["results"]
    assert rows[0]["local_start"] == at(THURSDAY, 8)
    assert "Thursday 5 March 2026" in response.text
    assert "/schedule/book/?procedure=galactogram" in response.text


def test_the_search_explains_a_range_that_ends_before_it_starts(scheduler_client, dept):
    response = scheduler_client.get(
        "/schedule/", {"procedure": "galactogram", "duration": 45, "start": "2026-03-10", "end": "2026-03-05"}
    )

    assert response.context["form"].errors["end"] == ["The last day is before the first day."]
    assert response.context["results"] is None


def test_the_search_refuses_a_duration_the_procedure_does_not_take(scheduler_client, dept):
    response = scheduler_client.get(
        "/schedule/", {"procedure": "galactogram", "duration": 60, "start": "2026-03-05", "end": "2026-03-06"}
    )

    assert "duration" in response.context["form"].errors


def test_picking_a_slot_asks_for_the_patient_then_confirms(scheduler_client, dept):
    patient = PatientFactory(family_name="Okafor", given_name="Ada")
    query = urlencode(slot_fields(dept, at(THURSDAY, 9)))

    choose = scheduler_client.get(f"/schedule/book/?{query}&q=okafor")
    confirm = scheduler_client.get(f"/schedule/book/?{query}&patient={patient.pk}")

    assert "Okafor, Ada" in choose.text
    assert "Confirm booking" in confirm.text
    assert "Thursday 5 March 2026, 09:00–09:45" in confirm.text


def test_confirming_books_and_shows_the_confirmation_with_the_reminder_plan(scheduler_client, dept, scheduler):
    patient = PatientFactory()

    response = book_through_page(scheduler_client, dept, patient, at(THURSDAY, 9))

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response.url == f"/schedule/booked/{appointment.pk}/"
    assert appointment.booked_by == scheduler
    assert Reservation.objects.filter(holder=appointment.holder, active=True).count() == 3
    page = scheduler_client.get(response.url)
    assert "Booked." in page.text
    assert "What the patient will receive" in page.text
    assert 'data-testid="reminder-plan"' in page.text


def test_a_time_just_taken_says_so_and_offers_the_next_free_times(scheduler_client, dept):
    book_through_page(scheduler_client, dept, PatientFactory(), at(THURSDAY, 9))

    response = book_through_page(scheduler_client, dept, PatientFactory(), at(THURSDAY, 9))

    assert response.status_code == 409
    assert "That time was just taken" in response.text
    assert response.context["suggestions"]
    assert Appointment.objects.count() == 1


def test_booking_inside_48_hours_asks_for_a_reason_next_to_the_reason_field(scheduler_client, dept):
    tomorrow = NOW.date() + timedelta(days=1)

    response = book_through_page(scheduler_client, dept, PatientFactory(), at(tomorrow, 10))

    assert response.status_code == 400
    assert response.context["form"].errors["lead_time_override_reason"]
    assert 'name="lead_time_override_reason"' in response.text
    assert not Appointment.objects.exists()


def test_booking_inside_48_hours_with_a_reason_is_booked(scheduler_client, dept):
    tomorrow = NOW.date() + timedelta(days=1)

    response = book_through_page(
        scheduler_client, dept, PatientFactory(), at(tomorrow, 10), lead_time_override_reason="Surgery on Friday"
    )

    assert response.status_code == 302
    assert Appointment.objects.get().lead_time_override_reason == "Surgery on Friday"


def test_a_tampered_slot_sends_the_scheduler_back_to_the_search(scheduler_client, dept):
    response = scheduler_client.get("/schedule/book/?procedure=galactogram&start=tomorrow")

    assert response.status_code == 302
    assert response.url == "/schedule/"


def test_the_appointment_page_offers_reschedule_and_cancel_to_a_scheduler(scheduler_client, dept):
    book_through_page(scheduler_client, dept, PatientFactory(), at(THURSDAY, 9))
    appointment = Appointment.objects.get()

    response = scheduler_client.get(f"/appointments/{appointment.pk}/")

    assert f"/appointments/{appointment.pk}/reschedule/" in response.text
    assert f"/appointments/{appointment.pk}/cancel/" in response.text


def test_rescheduling_from_the_appointment_page_moves_it(scheduler_client, dept):
    book_through_page(scheduler_client, dept, PatientFactory(), at(THURSDAY, 9))
    appointment = Appointment.objects.get()

    search = scheduler_client.get(
        f"/appointments/{appointment.pk}/reschedule/",
        {"search": "1", "procedure": "galactogram", "duration": 45, "start": "2026-03-06", "end": "2026-03-06"},
    )
    confirm = scheduler_client.get(
        f"/appointments/{appointment.pk}/reschedule/?{urlencode(slot_fields(dept, at(THURSDAY, 14)))}"
    )
    response = scheduler_client.post(
        f"/appointments/{appointment.pk}/reschedule/", {**slot_fields(dept, at(THURSDAY, 14)), "note": "Afternoon"}
    )

    assert search.context["results"]
    assert "Confirm the move" in confirm.text
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == at(THURSDAY, 14)
    assert {r.start for r in Reservation.objects.filter(holder=appointment.holder, active=True)} == {at(THURSDAY, 14)}


def test_rescheduling_onto_a_taken_time_says_so(scheduler_client, dept):
    book_through_page(scheduler_client, dept, PatientFactory(), at(THURSDAY, 14))
    book_through_page(scheduler_client, dept, PatientFactory(), at(THURSDAY, 9))
    appointment = Appointment.objects.get(start=at(THURSDAY, 9))

    response = scheduler_client.post(f"/appointments/{appointment.pk}/reschedule/", slot_fields(dept, at(THURSDAY, 14)))

    assert response.status_code == 409
    assert "That time was just taken" in response.text
    appointment.refresh_from_db()
    assert appointment.start == at(THURSDAY, 9)


def test_cancelling_needs_a_reason(scheduler_client, dept):
    book_through_page(scheduler_client, dept, PatientFactory(), at(THURSDAY, 9))
    appointment = Appointment.objects.get()

    response = scheduler_client.post(f"/appointments/{appointment.pk}/cancel/", {"reason_code": "", "note": "x"})

    assert response.status_code == 400
    assert response.context["form"].errors["reason_code"] == [
        "Please say why the appointment is cancelled; it is kept on record."
    ]
    other = scheduler_client.post(f"/appointments/{appointment.pk}/cancel/", {"reason_code": "other"})
    assert other.status_code == 400
    assert other.context["form"].errors["note"] == ["Say what the other reason is."]
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_cancelling_from_the_appointment_page_frees_the_time(scheduler_client, dept):
    book_through_page(scheduler_client, dept, PatientFactory(), at(THURSDAY, 9))
    appointment = Appointment.objects.get()

    response = scheduler_client.post(f"/appointments/{appointment.pk}/cancel/", {"reason_code": "patient_request"})

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert not Reservation.objects.filter(holder=appointment.holder, active=True).exists()


def test_a_technologist_cannot_open_the_booking_pages(client, dept):
    client.force_login(StaffMemberFactory().user)

    assert client.get("/schedule/").status_code == 403
    assert client.post("/schedule/book/", {}).status_code == 403


def test_the_search_starts_after_the_48_hour_lead_time_by_default(scheduler_client, dept):
    response = scheduler_client.get(
        "/schedule/", {"procedure": "galactogram", "duration": 45, "start": "2026-03-02", "end": "2026-03-06"}
    )

    assert response.context["results"][0]["local_start"] >= NOW + timedelta(hours=48)


def test_a_short_notice_search_offers_times_inside_48_hours_and_booking_them_asks_for_a_reason(scheduler_client, dept):
    response = scheduler_client.get(
        "/schedule/",
        {"procedure": "galactogram", "duration": 45, "start": "2026-03-02", "end": "2026-03-06", "short_notice": "on"},
    )

    first = response.context["results"][0]
    assert first["local_start"] < NOW + timedelta(hours=48)
    book_page = scheduler_client.get(f"/schedule/book/?{first['query']}&patient={PatientFactory().pk}")
    assert "Short notice:" in book_page.text
    assert 'name="lead_time_override_reason"' in book_page.text


def test_the_search_refuses_a_start_years_ahead(scheduler_client, dept):
    response = scheduler_client.get(
        "/schedule/", {"procedure": "galactogram", "duration": 45, "start": "9999-12-31", "end": "9999-12-31"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["start"] == ["Bookings open at most two years ahead; choose an earlier day."]


@pytest.mark.parametrize("start", ["9999-12-31T10:00:00+00:00", "0001-01-01T10:00:00+00:00", "2026-03-05T10:00:00"])
def test_a_slot_link_with_an_impossible_time_goes_back_to_the_search(scheduler_client, dept, start):
    query = urlencode({**slot_fields(dept, at(THURSDAY, 9)), "start": start})

    response = scheduler_client.get(f"/schedule/book/?{query}")

    assert response.status_code == 302
    assert response.url == "/schedule/"

"""Time off entered over booked appointments: listed before saving, then on the to-do list."""

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine

from scheduling.clinic_time import clinic_zone
from scheduling.models import Unavailability
from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=clinic_zone())  # a Monday


def at(days, hour):
    return datetime.combine(NOW.date() + timedelta(days=days), time(hour), tzinfo=clinic_zone())


def _admin_add(client, resource, start, end, **extra):
    data = {
        "resource": resource.pk,
        "kind": "time_off",
        "start_0": start.strftime("%Y-%m-%d"),
        "start_1": start.strftime("%H:%M:%S"),
        "end_0": end.strftime("%Y-%m-%d"),
        "end_1": end.strftime("%H:%M:%S"),
        "reason": "Course",
        **extra,
    }
    return client.post("/admin/scheduling/unavailability/add/", data)


def _manager():
    user = StaffMemberFactory(manager=True).user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_time_off_over_a_booking_lists_it_and_is_saved_only_when_confirmed(client):
    appointment = AppointmentFactory(start=at(2, 10), patient__family_name="Quinn")
    client.force_login(_manager())
    radiologist = appointment.radiologist.resource

    refused = _admin_add(client, radiologist, at(2, 8), at(2, 17))
    assert refused.status_code == 200
    assert "1 booked appointment(s) need" in refused.text and "Quinn" in refused.text
    assert not Unavailability.objects.exists()

    saved = _admin_add(client, radiologist, at(2, 8), at(2, 17), confirm_affected="on")
    assert saved.status_code == 302 and "/login/" not in saved["Location"]
    assert Unavailability.objects.filter(resource=radiologist).exists()


def test_time_off_over_nothing_booked_saves_at_once(client):
    appointment = AppointmentFactory(start=at(2, 10))
    client.force_login(_manager())
    response = _admin_add(client, appointment.room.resource, at(3, 8), at(3, 17))
    assert response.status_code == 302 and "/login/" not in response["Location"]
    assert Unavailability.objects.filter(resource=appointment.room.resource).count() == 1


def test_a_booking_caught_by_later_time_off_needs_a_new_time_on_the_todo_list(client):
    appointment = AppointmentFactory(start=at(2, 10), status="reminded", patient__family_name="Quinn")
    Unavailability.objects.create(resource=appointment.room.resource, start=at(2, 9), end=at(2, 12), kind="maintenance")
    client.force_login(StaffMemberFactory(scheduler=True).user)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/todo/").text
    assert "Needs a new time" in page and "Quinn" in page


def test_a_patient_who_did_not_proceed_is_on_the_todo_list_until_booked_again(client, galactogram):
    from radiology.services.booking import book_appointment
    from tests.actions import take_action

    first = AppointmentFactory(start=at(0, 10), status="reminded", patient__family_name="Quinn")
    tech = first.technologist.user
    with time_machine.travel(at(0, 9), tick=False):
        take_action(first.pk, "did_not_proceed", tech, reason_code="expressed")
    client.force_login(StaffMemberFactory(scheduler=True).user)
    with time_machine.travel(at(0, 11), tick=False):
        page = client.get("/todo/").text
        assert "Did not proceed (Expressed within 48 hours): book a new time" in page and "Quinn" in page

        first.refresh_from_db()
        book_appointment(
            patient=first.patient,
            procedure=galactogram,
            start=at(7, 10),
            duration_minutes=45,
            actor=StaffMemberFactory(scheduler=True).user,
            order=first.order,
        )
        assert "Did not proceed" not in client.get("/todo/").text


def test_the_day_list_flags_a_booking_caught_by_later_time_off(client):
    caught = AppointmentFactory(start=at(0, 10), status="reminded", patient__family_name="Quinn")
    fine = AppointmentFactory(start=at(0, 14), status="reminded", patient__family_name="Zedd")
    Unavailability.objects.create(resource=caught.technologist.resource, start=at(0, 9), end=at(0, 12))
    client.force_login(StaffMemberFactory().user)
    with time_machine.travel(at(0, 8), tick=False):
        page = client.get("/day/").text
    row = re.search(rf'<tr[^>]*data-appointment="{caught.pk}".*?</tr>', page, re.S).group(0)
    other = re.search(rf'<tr[^>]*data-appointment="{fine.pk}".*?</tr>', page, re.S).group(0)
    assert "NEEDS NEW TIME" in row and "NEEDS NEW TIME" not in other


def test_time_off_ended_early_offers_the_hours_it_gives_back_to_the_waiting_list(client):
    from radiology.models import OfferRound, WaitingListEntry
    from tests.factories import OrderFactory

    order = OrderFactory()
    WaitingListEntry.objects.create(patient=order.patient, order=order, source="scheduler", added_at=NOW)
    radiologist = StaffMemberFactory(radiologist=True).resource
    away = Unavailability.objects.create(resource=radiologist, start=at(3, 8), end=at(3, 17), reason="Course")
    client.force_login(_manager())
    data = {
        "resource": radiologist.pk,
        "kind": "time_off",
        "start_0": at(3, 8).strftime("%Y-%m-%d"),
        "start_1": "08:00:00",
        "end_0": at(3, 8).strftime("%Y-%m-%d"),
        "end_1": "12:00:00",
        "reason": "Course, morning only",
    }
    saved = client.post(f"/admin/scheduling/unavailability/{away.pk}/change/", data)
    assert saved.status_code == 302
    offer_round = OfferRound.objects.get()
    assert (offer_round.cause, offer_round.window_start, offer_round.window_end) == ("time_off", at(3, 12), at(3, 17))

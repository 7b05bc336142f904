"""The appointment page leads to her (page and phone), says when it needs a new time and why
she has a second galactogram (issue #22)."""

import pytest

from tests.factories import AppointmentFactory, StaffMemberFactory, UnavailabilityFactory

pytestmark = pytest.mark.django_db


def _page(client, appointment) -> str:
    client.force_login(StaffMemberFactory(scheduler=True).user)
    return client.get(f"/appointments/{appointment.pk}/").text


def test_the_appointment_page_links_to_her_page_with_her_phone(client):
    appointment = AppointmentFactory(patient__phone="+12025550123")

    page = _page(client, appointment)

    assert f'href="/patients/{appointment.patient.pk}/"' in page
    assert 'href="tel:+12025550123"' in page


def test_the_appointment_page_says_it_needs_a_new_time_when_its_radiologist_is_off_then(client):
    appointment = AppointmentFactory(status="booked")
    quiet = _page(client, appointment)
    UnavailabilityFactory(resource=appointment.radiologist.resource, start=appointment.start, end=appointment.end)

    page = client.get(f"/appointments/{appointment.pk}/").text

    assert 'data-testid="needs-new-time"' not in quiet
    assert "Needs a new time:" in page


def test_the_appointment_page_gives_the_reason_for_a_second_booking(client):
    appointment = AppointmentFactory(repeat_booking_reason="Other breast, second referral")

    assert "Other breast, second referral" in _page(client, appointment)

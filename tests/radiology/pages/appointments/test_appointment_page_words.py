"""Issue #22's smaller page defects: the words and links a new user tripped over."""

import re

import pytest
from django.urls import reverse

from tests.factories import AppointmentFactory, AppointmentTransitionFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def _page(client, appointment) -> str:
    client.force_login(StaffMemberFactory(role="technologist").user)
    return client.get(reverse("radiology:appointment_detail", args=[appointment.pk])).content.decode()


def test_the_first_history_row_is_the_booking_not_booked_to_booked(client):
    appointment = AppointmentFactory()
    AppointmentTransitionFactory(appointment=appointment, action="book", from_status="booked", to_status="booked")
    page = _page(client, appointment)
    assert "<td>—</td><td>Booked</td>" in page and "<td>Booked</td><td>Booked</td>" not in page


@pytest.mark.parametrize(
    ("status", "label"), [("did_not_proceed", "Why it did not proceed"), ("incomplete", "Why it was stopped")]
)
def test_the_reason_an_exam_ended_early_is_named_for_what_happened(client, status, label):
    page = _page(client, AppointmentFactory(status=status, abort_reason="No discharge today"))
    assert f">{label}</dt>" in page and "Abort reason" not in page


def test_every_staff_page_starts_with_a_skip_link_to_its_content(client):
    page = _page(client, AppointmentFactory())
    body = page[page.index("<body") :]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'href="#main"' in first_link and 'id="main"' in page


def test_the_favicon_is_found(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert 'rel="icon"' in _page(client, AppointmentFactory())

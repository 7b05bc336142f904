import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def _list_queries(client, day):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("radiology:appointment_list"), {"start": day, "end": day + timedelta(days=7)})
    assert response.status_code == 200
    return len(queries), response


def test_the_appointment_list_runs_the_same_number_of_queries_for_3_and_30_appointments(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    first = AppointmentFactory()
    day = first.local_start.date()
    few, _ = _list_queries(client, day)
    for hours in range(1, 30):
        AppointmentFactory(start=first.start + timedelta(hours=hours))
    many, response = _list_queries(client, day)
    assert few == many
    assert len(re.findall(r'href="/appointments/\d+/"', response.content.decode())) == 30


def test_the_appointment_list_explains_a_bad_date_range(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    response = client.get(reverse("radiology:appointment_list"), {"start": "2026-12-10", "end": "2026-12-01"})
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_the_appointment_page_of_an_unknown_id_is_a_404(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    assert client.get(reverse("radiology:appointment_detail", args=[987654])).status_code == 404


def test_the_login_page_is_styled_and_says_who_it_is_for(client):
    response = client.get(reverse("login"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "bootstrap.min.css" in page and "Log in" in page and "Patients: please use the link" in page

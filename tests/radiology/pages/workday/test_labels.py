"""Her label and wristband from the day list and the appointment page: a PDF for those who
check patients in, and not a link for anyone else."""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
START = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def morning():
    with time_machine.travel(START.replace(hour=7), tick=False):
        yield


@pytest.fixture
def appointment():
    return AppointmentFactory(
        start=START, status="reminded", patient__family_name="Ruiz", order__accession_number="GA00004242"
    )


def test_the_day_list_links_her_label_and_wristband_for_the_technologist(client, appointment):
    client.force_login(StaffMemberFactory(role="technologist").user)
    page = client.get(reverse("radiology:day_list_for", args=["2027-01-13"])).content.decode()
    label = reverse("radiology:patient_label", args=[appointment.pk])
    assert f'href="{label}"' in page
    assert f'href="{reverse("radiology:wristband", args=[appointment.pk])}"' in page

    response = client.get(label)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="label-GA00004242.pdf"'
    text = PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert "RUIZ" in text and "Acc GA00004242" in text


def test_the_scheduler_sees_no_label_link(client, appointment):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    page = client.get(reverse("radiology:day_list_for", args=["2027-01-13"])).content.decode()
    assert "label.pdf" not in page
    assert client.get(reverse("radiology:patient_label", args=[appointment.pk])).status_code == 403


def test_the_appointment_page_links_both_layouts(client, appointment):
    client.force_login(StaffMemberFactory(nurse=True).user)
    page = client.get(appointment.get_absolute_url()).content.decode()
    assert reverse("radiology:patient_label", args=[appointment.pk]) in page
    assert reverse("radiology:wristband", args=[appointment.pk]) in page


def test_an_unknown_appointment_is_404(client):
    client.force_login(StaffMemberFactory(nurse=True).user)
    assert client.get(reverse("radiology:wristband", args=[999999])).status_code == 404

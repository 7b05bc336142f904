"""The appointment page after the exam: the report's result letter and what staff see of it
(issue #19/#20), and no interface vocabulary on a staff page (issue #22)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from radiology.services import letters
from tests.factories import ReportFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def test_the_page_says_when_the_result_letter_is_due_and_links_its_pdf(client):
    report = ReportFactory(final=True, appointment__status="incomplete", appointment__abort_reason="x")
    letter = letters.on_report_final(report=report, now=timezone.now())
    client.force_login(StaffMemberFactory(role="scheduler").user)

    page = client.get(reverse("radiology:appointment_detail", args=[report.appointment_id])).content.decode()

    assert "Result letter:" in page and f"due {timezone.localtime(letter.due_at):%-d %b %Y}" in page
    assert reverse("radiology:letter_pdf", args=[letter.pk]) in page
    assert "FHIR:" not in page  # staff read the state; FHIR's word for it ("fulfilled") is for systems

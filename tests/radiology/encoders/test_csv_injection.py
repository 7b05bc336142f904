"""The dashboard's CSV export cannot carry a spreadsheet formula."""

import csv
import io

import pytest

from radiology.encoders.csv_export import safe_cell
from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_is_made_plain_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Patient unwell", "", 42, -3, None, "2026-03-02T09:30-05:00"])
def test_other_values_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_a_cancel_reason_written_as_a_formula_is_exported_as_text(client):
    appointment = AppointmentFactory(status="cancelled", cancel_reason='=HYPERLINK("http://evil.example","x")')
    client.force_login(StaffMemberFactory(manager=True).user)
    day = appointment.local_start.date()
    response = client.get(f"/dashboard/export.csv?start={day}&end={day}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    [row] = [r for r in rows if r["id"] == str(appointment.pk)]
    assert row["cancel_reason"] == "'" + appointment.cancel_reason

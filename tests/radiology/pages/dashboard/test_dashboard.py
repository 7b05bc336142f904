"""The manager's figures against a hand-built week, and the CSV export."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from radiology.models import Appointment, Patient
from radiology.pages.dashboard.figures import department_figures
from tests.factories import AppointmentFactory, MessageFactory, ProcedureOutcomeFactory, RoomFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MON, FRI = date(2027, 1, 11), date(2027, 1, 15)


def at(day, hour, minute=0):
    return datetime(2027, 1, day, hour, minute, tzinfo=NY)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(at(16, 9), tick=False):
        yield


@pytest.fixture
def week():
    room = RoomFactory(name="Mammo A")  # works Mon–Fri 08:00–17:00: 540 minutes a day

    def add(status, start, minutes, booked_days_before, **extra):
        a = AppointmentFactory(room=room, status=status, start=start, duration_minutes=minutes, **extra)
        Appointment.objects.filter(pk=a.pk).update(created_at=start - timedelta(days=booked_days_before))
        return a

    first = add(
        "completed", at(12, 10), 45, 10, started_at=at(12, 10), performed_at=at(12, 10, 40), completed_at=at(12, 10, 40)
    )
    add("completed", at(12, 11), 30, 3, started_at=at(12, 11), performed_at=at(12, 11, 36), completed_at=at(12, 11, 36))
    add("no_show", at(12, 12), 45, 1)
    add("cancelled", at(12, 13), 45, 20, cancel_reason="Patient unwell")
    add("cancelled", at(12, 14), 30, 20, cancel_reason="Patient unwell")
    add("cancelled", at(13, 9), 45, 30, cancel_reason="Room out of service")
    add("incomplete", at(12, 15), 30, 5, abort_reason="Could not cannulate the duct")
    add("booked", at(14, 9), 45, 8)
    ProcedureOutcomeFactory(appointment=first, ducts="multiple", imaging_cpt="77054")
    subject = f"appointment:{first.pk}"
    sent = {"status": "sent", "sent_at": at(10, 9)}
    MessageFactory(subject=subject, kind="prep", **sent)
    MessageFactory(subject=subject, kind="no_expression", **sent)
    MessageFactory(subject=subject, kind="day_before", status="failed")
    MessageFactory(subject=subject, kind="no_expression", status="skipped")
    MessageFactory(subject="appointment:999999", kind="prep", **sent)  # another period's
    return first


def test_the_figures_match_the_hand_built_week(week):
    f = department_figures(start_day=MON, end_day=FRI)
    assert f.total == 8
    assert dict(f.by_state) == {
        "Booked": 1,
        "Completed": 2,
        "Incomplete": 1,
        "Cancelled": 3,
        "No-show": 1,
    }
    assert (f.no_shows, f.due_to_happen, f.no_show_rate) == (1, 4, 25.0)
    assert f.cancellations == [("Patient unwell", 2), ("Room out of service", 1)]
    assert (f.mean_actual_minutes, f.mean_slot_minutes) == (38.0, 37.5)
    assert f.durations == [("30-minute slot", 36.0), ("45-minute slot", 40.0)]
    assert dict(f.lead_buckets) == {"< 2 days": 1, "2–6 days": 2, "7–13 days": 2, "14–27 days": 2, "28 days +": 1}
    assert f.median_lead_days == 9.0
    utilisation = dict(f.utilisation["Mammo A"])
    assert utilisation[date(2027, 1, 12)] == round(150 / 540 * 100, 1)  # cancelled time is free time
    assert utilisation[date(2027, 1, 14)] == round(45 / 540 * 100, 1)
    assert utilisation[date(2027, 1, 13)] == 0
    assert f.reminders == [
        ("Day-before reminder", 0, 1, 0),
        ("Reminder: do not express for 48 hours", 1, 0, 1),
        ("Preparation instructions", 1, 0, 0),
    ]


def test_the_dashboard_page_draws_each_chart_with_its_numbers(client, week):
    client.force_login(StaffMemberFactory(manager=True).user)
    page = client.get(reverse("radiology:dashboard"), {"start": MON, "end": FRI}).content.decode()
    assert page.count("<svg") == 6
    assert 'data-testid="no-show-rate">25.0%' in page
    assert "Patient unwell" in page and "27.8%" in page


def test_the_dashboard_is_for_managers(client):
    client.force_login(StaffMemberFactory(role="technologist").user)
    assert client.get(reverse("radiology:dashboard")).status_code == 403
    assert client.get(reverse("radiology:dashboard_export")).status_code == 403


def test_a_bad_period_is_explained(client):
    client.force_login(StaffMemberFactory(manager=True).user)
    page = client.get(reverse("radiology:dashboard"), {"start": "2027-02-01", "end": "2027-01-01"}).content.decode()
    assert "The end is before the start." in page


def test_the_csv_has_one_row_per_appointment_with_codes_and_times(client, week):
    # A surname no random staff name can contain, so "no names" below cannot fail by chance.
    Patient.objects.filter(pk=week.patient_id).update(family_name="Okonkwo-Whitfield")
    week.patient.refresh_from_db()
    client.force_login(StaffMemberFactory(manager=True).user)
    response = client.get(reverse("radiology:dashboard_export"), {"start": MON, "end": FRI})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="galactograms-2027-01-11-2027-01-15.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 8
    first = rows[0]
    assert first["id"] == str(week.pk)
    assert first["start_local"] == "2027-01-12T10:00-05:00"
    assert (first["status"], first["fhir_status"], first["actual_minutes"]) == ("completed", "fulfilled", "40")
    assert (first["ducts"], first["cpt_codes"]) == ("multiple", "19030 77054")
    # Words a manager reads, and what the exam was for (issue #22).
    assert first["status_label"] == "Completed"
    assert first["accession_number"] == week.order.accession_number
    assert (first["side"], first["indication"]) == (week.order.get_side_display(), week.order.get_indication_display())
    assert first["mrn"] == week.patient.mrn
    assert week.patient.family_name not in response.content.decode()  # MRN, not names
    assert {r["cancel_reason"] for r in rows} >= {"Patient unwell", "Room out of service"}

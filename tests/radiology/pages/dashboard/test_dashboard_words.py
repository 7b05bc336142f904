"""The dashboard in the department's words: honest lead times, the flow colours, reasons
grouped, charts with text alternatives, outcome and follow-up in the CSV, the admin's names."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from radiology.models import Appointment, AppointmentTransition
from radiology.pages.dashboard.figures import department_figures
from radiology.presentation.flow import FLOW_STATES
from tests.factories import (
    AppointmentFactory,
    FollowUpPlanFactory,
    ProcedureOutcomeFactory,
    StaffMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
TODAY = date(2027, 1, 13)


def at(hour, minute=0, days=0):
    return datetime(2027, 1, 13, hour, minute, tzinfo=NY) + timedelta(days=days)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(at(15), tick=False):
        yield


@pytest.fixture
def manager(client):
    client.force_login(StaffMemberFactory(manager=True).user)


def test_a_booking_made_after_its_start_time_is_a_zero_day_lead_never_negative():
    AppointmentFactory(start=at(9), status="completed")  # created at 15:00, started at 09:00
    figures = department_figures(start_day=TODAY, end_day=TODAY)
    assert figures.median_lead_days == 0.0 and str(figures.median_lead_days) == "0.0"


def test_the_lead_time_counts_from_the_logged_booking_not_the_row(client, manager):
    appointment = AppointmentFactory(start=at(9), status="completed")
    AppointmentTransition.objects.create(
        appointment=appointment, action="book", from_status="booked", to_status="booked", at=at(9, days=-10)
    )
    assert department_figures(start_day=TODAY, end_day=TODAY).median_lead_days == 10.0
    page = client.get(reverse("radiology:dashboard"), {"start": TODAY, "end": TODAY}).content.decode()
    assert "10.0 d" in page and "-0.0" not in page


def test_the_state_chart_uses_the_flow_colours_of_the_day_list(client, manager):
    for status in ("completed", "follow_up", "checked_in", "cancelled", "no_show", "incomplete"):
        AppointmentFactory(start=at(9), status=status, cancel_reason="x", abort_reason="y")
    figures = department_figures(start_day=TODAY, end_day=TODAY)
    assert ("Done", 2, FLOW_STATES["done"].colour) in figures.by_flow
    page = client.get(reverse("radiology:dashboard"), {"start": TODAY, "end": TODAY}).content.decode()
    for key in ("done", "arrived", "cancelled", "no_show", "incomplete"):
        assert f'fill="{FLOW_STATES[key].colour}"' in page


def test_cancellation_reasons_are_grouped_by_their_code():
    for reason in ("Other: moved away", "other: travel", "Patient unwell", "patient unwell — fever"):
        AppointmentFactory(start=at(9), status="cancelled", cancel_reason=reason)
    figures = department_figures(start_day=TODAY, end_day=TODAY)
    assert sorted(figures.cancellations) == [("Other", 2), ("Patient unwell", 2)]


def test_every_chart_has_a_text_alternative_naming_its_values(client, manager):
    AppointmentFactory(start=at(9), status="cancelled", cancel_reason="Patient unwell")
    page = client.get(reverse("radiology:dashboard"), {"start": TODAY, "end": TODAY}).content.decode()
    charts = re.findall(r'<svg class="chart[^"]*" role="img" aria-labelledby="([^"]+)"', page)
    assert len(charts) >= 4
    for title_id in charts:
        assert re.search(rf'<title id="{title_id}">[^<]+</title>', page)
    assert "Cancellations by reason: Patient unwell 1." in page


def test_the_csv_carries_the_outcome_and_the_follow_up(client, manager):
    appointment = AppointmentFactory(start=at(9), status="follow_up")
    ProcedureOutcomeFactory(
        appointment=appointment, contrast_volume_ml=1.5, complications=["pain"], complication_note=""
    )
    FollowUpPlanFactory(appointment=appointment, kind="ultrasound", scheduled_for=at(10, days=7))
    response = client.get(reverse("radiology:dashboard_export"), {"start": TODAY, "end": TODAY})
    (row,) = csv.DictReader(io.StringIO(response.content.decode()))
    assert (row["contrast_volume_ml"], row["complications"]) == ("1.5", "pain")
    assert (row["follow_up"], row["follow_up_when"]) == ("ultrasound", "2027-01-20T10:00-05:00")


def test_the_admin_names_time_off_and_working_hours_in_the_departments_words(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:index")).content.decode()
    assert "Time off and closures" in page and "Working hours" in page
    assert "Unavailabilities" not in page


def test_the_dashboard_query_count_does_not_grow_with_appointments(client, manager, django_assert_max_num_queries):
    for _ in range(20):
        AppointmentFactory(start=at(9), status="completed")
    # 12 for the appointments' figures, 2 for closing the loop (follow-ups, rebookings).
    with django_assert_max_num_queries(14):
        assert client.get(reverse("radiology:dashboard"), {"start": TODAY, "end": TODAY}).status_code == 200
    assert Appointment.objects.count() == 20

"""The day list as a flow board: flow states, late flags, waiting clocks, who is next, a legend."""

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from radiology.presentation.flow import FLOW_STATES, flow_state
from tests.factories import AppointmentFactory, RoomFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DAY = datetime(2027, 1, 13, tzinfo=NY)
URL = reverse("radiology:day_list_for", args=["2027-01-13"])


def at(hour, minute=0):
    return DAY.replace(hour=hour, minute=minute)


@pytest.fixture(autouse=True)
def clock():
    # Logged in on the day itself (a session from today's real date would have expired).
    with time_machine.travel(at(7), tick=False) as traveller:
        yield traveller


@pytest.fixture
def tech(client):
    member = StaffMemberFactory(role="technologist")
    client.force_login(member.user)
    return member


def row_of(page: str, appointment) -> str:
    return re.search(rf'<tr[^>]*data-appointment="{appointment.pk}".*?</tr>', page, re.S).group(0)


def test_each_state_reads_as_the_patients_flow():
    assert [flow_state(s).label for s in ("reminded", "checked_in", "in_procedure", "follow_up", "incomplete")] == [
        "Scheduled",
        "Arrived",
        "In procedure",
        "Done",
        "Incomplete",
    ]


def test_a_patient_not_checked_in_ten_minutes_after_her_start_is_flagged_late(client, tech, clock):
    appointment = AppointmentFactory(start=at(9), status="reminded")
    clock.move_to(at(9, 9))
    assert "LATE" not in row_of(client.get(URL).content.decode(), appointment)
    clock.move_to(at(9, 10))
    row = row_of(client.get(URL).content.decode(), appointment)
    assert "is-late" in row and "LATE" in row


def test_a_checked_in_patient_shows_how_long_she_has_waited_and_is_never_late(client, tech, clock):
    appointment = AppointmentFactory(start=at(9), status="checked_in", checked_in_at=at(8, 55))
    clock.move_to(at(9, 40))
    row = row_of(client.get(URL).content.decode(), appointment)
    assert "Arrived" in row and "waiting 45 min" in row and "LATE" not in row
    assert f'data-since="{at(8, 55).astimezone(UTC).isoformat()}"' in row  # the page's script keeps counting


def test_a_procedure_under_way_shows_its_minutes_in_the_room(client, tech, clock):
    appointment = AppointmentFactory(start=at(9), status="in_procedure", checked_in_at=at(8, 55), started_at=at(9, 5))
    clock.move_to(at(9, 30))
    row = row_of(client.get(URL).content.decode(), appointment)
    assert "In procedure" in row and "in room 25 min" in row


def test_next_in_each_room_is_the_first_arrived_patient_else_the_earliest_to_come(client, tech, clock):
    room_a, room_b = RoomFactory(name="A"), RoomFactory(name="B")
    AppointmentFactory(room=room_a, start=at(8), status="completed")
    early = AppointmentFactory(room=room_a, start=at(9), status="reminded")
    arrived = AppointmentFactory(room=room_a, start=at(10), status="checked_in", checked_in_at=at(8, 50))
    only = AppointmentFactory(room=room_b, start=at(11), status="booked")
    clock.move_to(at(8, 55))
    page = client.get(URL).content.decode()
    assert "Next" in row_of(page, arrived) and "Next" not in row_of(page, early)
    assert "Next" in row_of(page, only)


def test_the_row_shows_the_message_readiness_beside_the_flow_state(client, tech, clock):
    appointment = AppointmentFactory(start=at(9), status="prep_sent")
    clock.move_to(at(8))
    row = row_of(client.get(URL).content.decode(), appointment)
    assert "Prep instructions sent: yes" in row
    assert "No-expression reminder sent: not yet" in row and "Patient confirmed: not yet" in row


def test_the_legend_explains_every_colour_on_the_page(client, tech, clock):
    AppointmentFactory(start=at(9))
    clock.move_to(at(8))
    page = client.get(URL).content.decode()
    legend = re.search(r'data-testid="legend".*?</ul>', page, re.S).group(0)
    for state in FLOW_STATES.values():
        assert f"flow-{state.key}" in legend and state.label in legend
    for mark in ("late-flag", "next-flag", "allergy-flag", "now-swatch"):
        assert mark in legend


def test_the_stylesheet_uses_the_same_colour_for_each_flow_state_as_the_charts():
    css = (Path(__file__).resolve().parents[4] / "static" / "css" / "app.css").read_text()
    for state in FLOW_STATES.values():
        assert re.search(rf"\.flow-{state.key} \{{ background: {state.colour};", css), state.key


def test_each_timeline_block_carries_the_name_and_a_full_title(client, tech, clock):
    AppointmentFactory(start=at(9), duration_minutes=30, patient__family_name="Hernández", patient__given_name="Ana")
    clock.move_to(at(8))
    page = client.get(URL).content.decode()
    assert '<span class="who">Hernández</span>' in page
    assert 'title="09:00 Hernández, Ana — Scheduled"' in page
    assert 'class="now-line' in page and 'data-start="2027-01-13T08:00:00-05:00"' in page


def test_names_are_escaped_in_rows_and_blocks(client, tech, clock):
    AppointmentFactory(start=at(9), patient__family_name='<b onmouseover="x">Evil', patient__given_name="A&B")
    clock.move_to(at(8))
    page = client.get(URL).content.decode()
    assert '<b onmouseover="x">' not in page
    assert "&lt;b onmouseover=&quot;x&quot;&gt;Evil, A&amp;B" in page


def test_the_timeline_spans_the_usual_day_and_widens_for_an_early_or_late_appointment(client, tech, clock):
    AppointmentFactory(start=at(9))
    clock.move_to(at(8))
    usual = client.get(URL).content.decode()
    assert 'data-start="2027-01-13T08:00:00-05:00"' in usual and 'data-end="2027-01-13T17:00:00-05:00"' in usual
    AppointmentFactory(start=at(7, 30), duration_minutes=30)
    AppointmentFactory(start=at(17, 15), duration_minutes=30)
    wide = client.get(URL).content.decode()
    assert 'data-start="2027-01-13T07:00:00-05:00"' in wide and 'data-end="2027-01-13T18:00:00-05:00"' in wide
    assert 'data-left="11.11" data-width="8.33"' in usual  # 09:00 is one ninth in; 45 min of 9 h


def test_staff_are_named_first_name_then_last_name_on_the_screen_and_the_printed_list(client, tech, clock):
    # The shared staff objects are built from the query's columns: each value must land in its
    # own field, whatever order the model declares them in ("Okafor radiologist" was the bug).
    radiologist = StaffMemberFactory(
        radiologist=True, user__first_name="Grace", user__last_name="Okafor", user__username="gokafor"
    )
    technologist = StaffMemberFactory(user__first_name="Min-jun", user__last_name="Kim", user__username="mkim2")
    appointment = AppointmentFactory(start=at(9), radiologist=radiologist, technologist=technologist)
    page = client.get(reverse("radiology:day_list")).content.decode()
    row = row_of(page, appointment)
    assert "Grace Okafor" in row and "Min-jun Kim" in row
    assert "Okafor Grace" not in page and "gokafor" not in page and "Kim mkim2" not in page

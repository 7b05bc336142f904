"""Issue #22: one place decides each state's label, colour and grouping, and every page that
shows a state follows it: no state is white on nothing, a did-not-proceed appointment is not
drawn as "Booked" over time that is free, and an aborted exam is "Incomplete" everywhere."""

import re
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from radiology.models import AppointmentStatus
from radiology.presentation.flow import FLOW_STATES, flow_state, status_badge_class
from scheduling.clinic_time import clinic_zone
from tests.factories import AppointmentFactory, RoomFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

CSS = (Path(__file__).resolve().parents[3] / "static" / "css" / "app.css").read_text()
DAY = datetime(2027, 1, 13, 7, 0, tzinfo=clinic_zone())  # a Wednesday
ENDED_WITH_A_REASON = {"cancelled": {"cancel_reason": "earlier"}, "incomplete": {"abort_reason": "earlier"}}
ENDED_WITH_A_REASON["did_not_proceed"] = {"abort_reason": "earlier"}


def _colour_of(css_class: str) -> str:
    found = re.search(rf"\.{css_class} \{{ background: (#[0-9a-f]{{6}});", CSS)
    assert found, f"no colour rule for .{css_class}"
    return found.group(1)


@pytest.mark.parametrize("status", AppointmentStatus.values)
def test_every_state_has_a_coloured_badge_with_its_own_label_on_every_page_that_shows_it(client, status):
    room = RoomFactory()
    appointment = AppointmentFactory(
        status=status, room=room, start=DAY.replace(hour=9), **ENDED_WITH_A_REASON.get(status, {})
    )
    user = StaffMemberFactory(role="radiologist").user
    label = AppointmentStatus(status).label
    badge = f'<span class="badge status-badge {status_badge_class(status)}">{label}</span>'
    assert _colour_of(status_badge_class(status)) == flow_state(status).colour
    with time_machine.travel(DAY, tick=False):
        client.force_login(user)  # on the day itself (a session from the real date would have expired)
        detail = client.get(reverse("radiology:appointment_detail", args=[appointment.pk])).content.decode()
        listed = client.get(reverse("radiology:appointment_list"), {"start": "2027-01-13", "end": "2027-01-13"})
        day = client.get(reverse("radiology:day_list")).content.decode()
        week = client.get(reverse("radiology:schedule_week", args=[room.pk]), {"week": "2027-01-13"}).content.decode()
    assert badge in detail
    assert badge in listed.content.decode()
    assert f'flow-badge flow-{flow_state(status).key}" title="{label}"' in day
    block = re.search(rf'<a class="blk blk-booked ([^"]+)"[^>]*href="/appointments/{appointment.pk}/"', week)
    if status in ("cancelled", "did_not_proceed", "no_show"):
        assert block is None  # the time was given back: the grid shows it free
    else:
        assert block.group(1) == status_badge_class(status)


def test_an_aborted_exam_is_incomplete_not_did_not_proceed_on_the_day_list():
    assert flow_state("incomplete").label == "Incomplete"
    assert flow_state("did_not_proceed").label == "Did not proceed"
    assert flow_state("incomplete").key != flow_state("did_not_proceed").key


def test_each_state_colour_holds_white_text_at_aa():
    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for state in FLOW_STATES.values():
        assert 1.05 / (luminance(state.colour) + 0.05) >= 4.5, state.key


def test_the_state_badges_have_no_colour_rules_of_their_own():
    # One rule: a second set of colours per status would drift from the flow states again.
    assert not re.search(r"\.status-(booked|completed|did_not_proceed|incomplete)\b", CSS)

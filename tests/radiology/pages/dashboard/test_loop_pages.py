"""The manager's lost-to-follow-up list and the dashboard's loop figures (issue 20), each in a
fixed number of queries; the schedulers' to-do shows the loops' calls."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from radiology.models import FollowUp
from radiology.services import follow_ups, loop_steps
from tests.factories import ReportFactory, RoomFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
SIGNED = datetime(2026, 2, 16, 14, 0, tzinfo=NY)
AFTER_ALL_STEPS = datetime(2026, 4, 7, 12, 0, tzinfo=NY)


def lost(n: int):
    for _ in range(n):
        report = ReportFactory(final=True, signed_at=SIGNED, recommendation="ultrasound")
        follow_ups.on_report_final(report=report, now=SIGNED)
    loop_steps.reach_due_steps(now=AFTER_ALL_STEPS)


def page(client, name):
    with time_machine.travel(AFTER_ALL_STEPS, tick=False), CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode(), len(queries)


@pytest.fixture
def manager(client):
    client.force_login(StaffMemberFactory(manager=True).user)
    return client


def test_the_lost_to_follow_up_list_shows_every_lost_patient_in_a_fixed_number_of_queries(manager):
    lost(1)
    page(manager, "radiology:lost_to_follow_up")  # the session's first page loads its per-process caches
    one_page, one = page(manager, "radiology:lost_to_follow_up")
    lost(4)
    five_page, five = page(manager, "radiology:lost_to_follow_up")

    assert one_page.count("data-follow-up=") == 1
    assert five_page.count("data-follow-up=") == 5
    assert five == one


def test_a_booked_follow_up_is_not_lost(manager, scheduler):
    lost(1)
    follow_ups.close_follow_up(
        follow_up_id=FollowUp.objects.get().pk, actor=scheduler, reason_code="moved_away", now=AFTER_ALL_STEPS
    )

    html, _ = page(manager, "radiology:lost_to_follow_up")
    assert 'data-testid="lost-empty"' in html


def test_the_dashboard_shows_the_loop_figures_in_a_fixed_number_of_queries(manager):
    period = {"start": "2026-03-01", "end": "2026-03-31"}

    def dashboard():
        with time_machine.travel(AFTER_ALL_STEPS, tick=False), CaptureQueriesContext(connection) as queries:
            html = manager.get(reverse("radiology:dashboard"), period).content.decode()
        return html, len(queries)

    RoomFactory()  # utilisation reads working hours once there are rooms: not this test's concern
    dashboard()  # the session's first page loads its per-process caches
    empty_html, empty = dashboard()
    lost(3)
    html, three = dashboard()

    assert 'data-testid="follow-ups-on-time">0 of 3' in html
    assert 'data-testid="follow-ups-past-due">3' in html
    assert "3 lost to follow-up" in html
    assert 'data-testid="no-shows-rebooked">0 of 0' in empty_html
    assert three == empty


def test_the_lost_list_is_for_managers(client):
    client.force_login(StaffMemberFactory(role="scheduler").user)
    assert client.get(reverse("radiology:lost_to_follow_up")).status_code == 403


def test_the_todo_shows_a_due_call_and_marking_it_done_takes_it_off(scheduler_client):
    lost(1)
    with time_machine.travel(AFTER_ALL_STEPS, tick=False):
        html = scheduler_client.get(reverse("radiology:scheduler_todo")).content.decode()
        assert html.count("data-step=") == 2  # the call and telling the referring physician
        step = FollowUp.objects.get().steps.get(kind="call_task")
        scheduler_client.post(reverse("radiology:scheduler_todo_step_done", args=[step.pk]), {"note": "Left a message"})
        html = scheduler_client.get(reverse("radiology:scheduler_todo")).content.decode()

    assert html.count("data-step=") == 1
    step.refresh_from_db()
    assert step.handled_note == "Left a message"
    assert timedelta(0) <= AFTER_ALL_STEPS - step.handled_at < timedelta(seconds=1)


def test_the_appointment_page_shows_its_follow_ups_and_closes_one_with_a_reason(scheduler_client):
    lost(1)
    follow_up = FollowUp.objects.get()
    page = reverse("radiology:appointment_detail", args=[follow_up.appointment_id])
    assert 'data-testid="follow-up" data-state="open"' in scheduler_client.get(page).content.decode()

    refused = scheduler_client.post(reverse("radiology:follow_up_update", args=[follow_up.pk]), {"change": "close"})
    assert refused.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.state == "open"
    scheduler_client.post(
        reverse("radiology:follow_up_update", args=[follow_up.pk]), {"change": "close", "reason_code": "declined"}
    )
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.close_reason) == ("closed", "declined")

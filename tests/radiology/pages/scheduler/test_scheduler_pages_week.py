import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from radiology.pages.scheduler.week import room_week
from scheduling.clinic_time import clinic_zone
from tests.factories import AppointmentFactory, RoomFactory, StaffMemberFactory, UnavailabilityFactory

pytestmark = pytest.mark.django_db

# A Wednesday; its week runs Monday 2 March to Sunday 8 March 2026.
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=clinic_zone())
MONDAY = NOW.date() - timedelta(days=2)


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(MONDAY + timedelta(days=day_offset), time(hour, minute), tzinfo=clinic_zone())


@pytest.fixture
def room(db):
    return RoomFactory(name="Mammo 1")


def test_the_week_grid_links_each_booked_block_to_its_appointment(scheduler_client, room):
    appointment = AppointmentFactory(room=room, start=at(1, 9, 30), duration_minutes=45)

    with time_machine.travel(NOW, tick=False):
        response = scheduler_client.get(f"/schedule/week/{room.pk}/?week=2026-03-04")

    assert response.status_code == 200
    assert f'href="/appointments/{appointment.pk}/"' in response.text
    assert f"09:30–10:15 {appointment.patient.family_name}" in response.text


def test_a_booked_block_spans_the_rows_of_its_time(room):
    AppointmentFactory(room=room, start=at(0, 9, 30), duration_minutes=45)

    week = room_week(room=room, week_start=MONDAY, today=NOW.date())

    (block,) = week.days[0].booked
    # Row 2 is 07:00; each row is 15 minutes: 09:30 is row 12, 10:15 ends at line 15.
    assert (block.row_start, block.row_end) == (12, 15)


def test_time_off_and_closed_hours_are_drawn_and_cancelled_appointments_are_not(room):
    UnavailabilityFactory(resource=room.resource, start=at(2, 13), end=at(2, 15), reason="Unit service")
    cancelled = AppointmentFactory(room=room, start=at(2, 9))
    cancelled_status_reason = "Patient travelling"
    type(cancelled).objects.filter(pk=cancelled.pk).update(status="cancelled", cancel_reason=cancelled_status_reason)

    week = room_week(room=room, week_start=MONDAY, today=NOW.date())

    wednesday = week.days[2]
    kinds = [(b.kind, b.row_start, b.row_end) for b in wednesday.blocks]
    assert ("off", 26, 34) in kinds  # 13:00–15:00
    assert ("closed", 2, 6) in kinds  # 07:00–08:00, before the room opens
    assert ("free", 6, 42) in kinds  # 08:00–17:00
    assert ("closed", 42, 50) in kinds  # 17:00–19:00
    assert wednesday.booked == []


def test_the_week_shows_monday_to_friday_when_the_room_is_closed_at_weekends(room):
    week = room_week(room=room, week_start=NOW.date(), today=NOW.date())

    assert [d.day.weekday() for d in week.days] == [0, 1, 2, 3, 4]
    assert week.week_start == MONDAY


def test_the_week_page_runs_a_fixed_number_of_queries(scheduler_client, room):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries, time_machine.travel(NOW, tick=False):
            response = scheduler_client.get(f"/schedule/week/{room.pk}/?week=2026-03-02")
        assert response.status_code == 200
        assert all(f"/appointments/{a.pk}/" in response.text for a in room.appointments.all())
        return len(queries)

    AppointmentFactory(room=room, start=at(0, 9))
    few = count_queries()
    for day in range(5):
        AppointmentFactory(room=room, start=at(day, 11))
        AppointmentFactory(room=room, start=at(day, 14))
    UnavailabilityFactory(resource=room.resource, start=at(3, 8), end=at(3, 10))

    assert count_queries() == few


def test_a_week_view_without_a_room_goes_to_the_first_room(scheduler_client, room):
    response = scheduler_client.get("/schedule/week/?week=2026-03-02")

    assert response.status_code == 302
    assert response.url == f"/schedule/week/{room.pk}/?week=2026-03-02"


def test_an_unknown_room_is_a_404(scheduler_client, room):
    assert scheduler_client.get(f"/schedule/week/{room.pk + 99}/").status_code == 404


def test_an_unreadable_week_parameter_shows_this_week(scheduler_client, room):
    with time_machine.travel(NOW, tick=False):
        response = scheduler_client.get(f"/schedule/week/{room.pk}/?week=next-tuesday")

    assert response.status_code == 200
    assert "week of 2 Mar" in response.text


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01"])
def test_a_week_at_the_edge_of_the_calendar_shows_this_week(scheduler_client, room, week):
    with time_machine.travel(NOW, tick=False):
        response = scheduler_client.get(f"/schedule/week/{room.pk}/?week={week}")

    assert response.status_code == 200
    assert "week of 2 Mar" in response.text


def test_a_scheduler_can_search_a_coming_day_from_its_heading(scheduler_client, room):
    with time_machine.travel(NOW, tick=False):
        response = scheduler_client.get(f"/schedule/week/{room.pk}/?week=2026-03-02")

    assert "start=2026-03-05&amp;end=2026-03-05" in response.text
    assert "start=2026-03-02&amp;end=2026-03-02" not in response.text  # Monday has passed


def test_a_free_stretch_from_today_on_opens_the_slot_search_for_that_day(scheduler_client, room):
    with time_machine.travel(NOW, tick=False):
        page = scheduler_client.get(f"/schedule/week/{room.pk}/?week=2026-03-04").text

    links = re.findall(r'<a class="blk blk-free"[^>]*href="([^"]+)"[^>]*>([^<]*)</a>', page)
    days = {re.search(r"start=(\d{4}-\d\d-\d\d)", href.replace("&amp;", "&")).group(1) for href, _ in links}
    assert days == {"2026-03-04", "2026-03-05", "2026-03-06"}  # Wednesday (today) to Friday, not the past
    assert {label for _, label in links} == {"Open 08:00–17:00"}
    assert "Working hours, free" in page and "In procedure" in page  # every colour in the legend


def test_a_technologist_sees_working_hours_but_no_booking_links(client, room):
    client.force_login(StaffMemberFactory().user)
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/schedule/week/{room.pk}/?week=2026-03-04").text
    assert "Open 08:00–17:00" in page and 'class="blk blk-free"' in page
    assert '<a class="blk blk-free"' not in page

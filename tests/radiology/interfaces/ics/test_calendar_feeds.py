"""Calendar feeds, read back by two outside parsers: the `icalendar` library and ical.js."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from radiology.models import CalendarFeed
from radiology.services.booking import book_appointment
from radiology.services.calendar_feeds import issue_calendar_feed, revoke_calendar_feed
from radiology.services.cancellation import cancel_appointment
from radiology.services.rescheduling import reschedule_appointment
from radiology.services.transitions import perform_transition
from tests.factories import AppointmentFactory, PatientFactory, StaffMemberFactory, small_department

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 10, 26, 9, 0, tzinfo=NY)  # Monday of the week New York leaves summer time
FRIDAY_9 = datetime(2026, 10, 30, 9, 0, tzinfo=NY)  # EDT, UTC-4
MONDAY_9 = datetime(2026, 11, 2, 9, 0, tzinfo=NY)  # EST, UTC-5 (DST ended Sunday 1 November)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def two_room_dept():
    """Two rooms, so a room's feed can be shown to leave out the other room's bookings."""
    return small_department(rooms=2, radiologists=1, technologists=1)


def book(two_room_dept, scheduler, galactogram, start, **kwargs):
    return book_appointment(
        patient=kwargs.pop("patient", None) or PatientFactory(),
        procedure=galactogram,
        start=start,
        duration_minutes=45,
        actor=scheduler,
        room=kwargs.pop("room", two_room_dept.rooms[0]),
        radiologist=two_room_dept.radiologists[0],
        technologist=two_room_dept.technologists[0],
        side="left",
        indication="spontaneous_single_duct",
        **kwargs,
    )


def staff_feed(client, member):
    path = issue_calendar_feed(actor=member.user, staff=member)
    return path, client.get(path)


def events(response) -> dict:
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_a_staff_feed_is_text_calendar_with_one_utc_event_per_appointment(
    client, two_room_dept, scheduler, galactogram
):
    patient = PatientFactory(mrn="MRN-7342", given_name="Ana", family_name="Lopez")
    appointment = book(two_room_dept, scheduler, galactogram, FRIDAY_9, patient=patient)

    _, response = staff_feed(client, two_room_dept.technologists[0])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert not calendar.walk("VTIMEZONE")
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"appointment-{appointment.pk}@localhost"
    assert event.decoded("DTSTART") == datetime(2026, 10, 30, 13, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 10, 30, 13, 45, tzinfo=UTC)
    assert b"DTSTART:20261030T130000Z" in response.content
    assert (str(event["STATUS"]), str(event["SUMMARY"]), str(event["LOCATION"])) == (
        "CONFIRMED",
        "Galactogram 7342",
        two_room_dept.rooms[0].name,
    )
    assert event["SEQUENCE"] == 1  # the booking is the first change calendars show
    assert event.decoded("DTSTAMP") == event.decoded("LAST-MODIFIED") == NOW.astimezone(UTC)
    assert b"Lopez" not in response.content and b"Ana" not in response.content


def test_names_are_shown_only_when_the_setting_allows(client, two_room_dept, scheduler, galactogram, settings):
    book(two_room_dept, scheduler, galactogram, FRIDAY_9, patient=PatientFactory(given_name="Ana", family_name="Lopez"))
    settings.CALENDAR_SHOW_NAMES = True

    _, response = staff_feed(client, two_room_dept.technologists[0])

    [event] = events(response).values()
    assert str(event["SUMMARY"]).endswith(" Ana Lopez")


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence_and_a_cancel_raises_it_again_but_prep_sent_does_not(
    client, two_room_dept, scheduler, galactogram
):
    appointment = book(two_room_dept, scheduler, galactogram, FRIDAY_9)
    path, before = staff_feed(client, two_room_dept.technologists[0])
    perform_transition(appointment_id=appointment.pk, action="send_prep", actor=None)
    sequences = [events(before)[f"appointment-{appointment.pk}@localhost"]["SEQUENCE"]]
    sequences.append(events(client.get(path))[f"appointment-{appointment.pk}@localhost"]["SEQUENCE"])

    reschedule_appointment(appointment_id=appointment.pk, start=MONDAY_9, actor=scheduler)
    moved = events(client.get(path))[f"appointment-{appointment.pk}@localhost"]
    sequences.append(moved["SEQUENCE"])
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")
    cancelled = events(client.get(path))[f"appointment-{appointment.pk}@localhost"]
    sequences.append(cancelled["SEQUENCE"])

    # Prep sent changes nothing a calendar shows; the move and the cancellation do.
    assert sequences[0] == sequences[1]
    assert sequences[1:] == sorted(set(sequences[1:])), "SEQUENCE must strictly increase"
    assert sequences == [1, 1, 2, 3]
    assert moved.decoded("DTSTART") == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert str(cancelled["STATUS"]) == "CANCELLED"


def test_a_room_feed_shows_that_rooms_appointments_only(client, two_room_dept, scheduler, galactogram):
    here = book(two_room_dept, scheduler, galactogram, FRIDAY_9)
    book(two_room_dept, scheduler, galactogram, MONDAY_9, room=two_room_dept.rooms[1])
    manager = StaffMemberFactory(manager=True).user

    response = client.get(issue_calendar_feed(actor=manager, room=two_room_dept.rooms[0]))

    assert list(events(response)) == [f"appointment-{here.pk}@localhost"]
    assert "Galactograms: " + two_room_dept.rooms[0].name in response.content.decode()


def test_the_feed_covers_30_days_back_and_90_days_ahead(client, two_room_dept):
    member = two_room_dept.technologists[0]
    inside = [
        AppointmentFactory(technologist=member, start=NOW - timedelta(days=29)),
        AppointmentFactory(technologist=member, start=NOW + timedelta(days=89)),
    ]
    AppointmentFactory(technologist=member, start=NOW - timedelta(days=31))
    AppointmentFactory(technologist=member, start=NOW + timedelta(days=91))
    AppointmentFactory(start=NOW + timedelta(days=1))  # someone else's

    _, response = staff_feed(client, member)

    assert sorted(events(response)) == sorted(f"appointment-{a.pk}@localhost" for a in inside)


def test_the_number_of_queries_does_not_grow_with_the_appointments(client, two_room_dept, django_assert_num_queries):
    member = two_room_dept.technologists[0]
    path = issue_calendar_feed(actor=member.user, staff=member)
    AppointmentFactory(technologist=member, start=NOW + timedelta(days=1))
    with django_assert_num_queries(2):
        client.get(path)
    for day in range(2, 30):
        AppointmentFactory(technologist=member, start=NOW + timedelta(days=day))
    with django_assert_num_queries(2):
        assert len(events(client.get(path))) == 29


def test_an_unchanged_feed_answers_304_to_its_etag_and_a_change_gives_a_new_one(
    client, two_room_dept, scheduler, galactogram
):
    appointment = book(two_room_dept, scheduler, galactogram, FRIDAY_9)
    path, first = staff_feed(client, two_room_dept.technologists[0])

    again = client.get(path, headers={"If-None-Match": first["ETag"]})
    reschedule_appointment(appointment_id=appointment.pk, start=MONDAY_9, actor=scheduler)
    after = client.get(path, headers={"If-None-Match": first["ETag"]})

    assert first["ETag"].startswith('"')
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]


def test_only_the_current_token_opens_the_feed_and_it_is_stored_hashed(client, two_room_dept):
    member = two_room_dept.technologists[0]
    old = issue_calendar_feed(actor=member.user, staff=member)
    new = issue_calendar_feed(actor=member.user, staff=member)
    token = new.rsplit("/", 1)[1].removesuffix(".ics")

    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get(new.replace(f"/{member.pk}/", f"/{member.pk + 1000}/")).status_code == 404
    assert client.get(new.replace("/staff/", "/room/")).status_code == 404
    feed = CalendarFeed.objects.get()
    assert token not in feed.token_hash and len(feed.token_hash) == 64
    revoke_calendar_feed(actor=member.user, staff=member)
    assert client.get(new).status_code == 404


def test_a_deactivated_staff_members_feed_is_gone(client, two_room_dept, scheduler, galactogram):
    member = two_room_dept.technologists[0]
    book(two_room_dept, scheduler, galactogram, FRIDAY_9)
    path, before = staff_feed(client, member)
    member.user.is_active = False
    member.user.save(update_fields=["is_active"])

    after = client.get(path)

    assert before.status_code == 200
    assert after.status_code == 410
    assert b"VEVENT" not in after.content


def test_a_rooms_feed_does_not_depend_on_who_made_it(client, two_room_dept):
    manager = StaffMemberFactory(manager=True).user
    path = issue_calendar_feed(actor=manager, room=two_room_dept.rooms[0])
    manager.is_active = False
    manager.save(update_fields=["is_active"])

    assert client.get(path).status_code == 200


def test_icalendar_and_icaljs_read_the_same_instants_across_the_dst_change(
    client, two_room_dept, scheduler, galactogram, icaljs
):
    friday = book(two_room_dept, scheduler, galactogram, FRIDAY_9)
    monday = book(two_room_dept, scheduler, galactogram, MONDAY_9)
    _, response = staff_feed(client, two_room_dept.technologists[0])

    read = icaljs(response.content)

    by_uid = {e["uid"]: e for e in read["events"]}
    assert by_uid[f"appointment-{friday.pk}@localhost"]["start"] == "2026-10-30T13:00:00.000Z"
    assert by_uid[f"appointment-{monday.pk}@localhost"]["start"] == "2026-11-02T14:00:00.000Z"
    assert by_uid[f"appointment-{monday.pk}@localhost"]["end"] == "2026-11-02T14:45:00.000Z"
    assert {e["startZone"] for e in read["events"]} == {"UTC"}
    assert {(e["status"], e["sequence"]) for e in read["events"]} == {("CONFIRMED", 1)}
    parsed = events(response)
    assert parsed[f"appointment-{monday.pk}@localhost"].decoded("DTSTART").astimezone(NY) == MONDAY_9
    assert parsed[f"appointment-{friday.pk}@localhost"].decoded("DTSTART").astimezone(NY) == FRIDAY_9


def test_renaming_the_room_changes_the_feed_and_its_etag(client, two_room_dept, scheduler, galactogram):
    book(two_room_dept, scheduler, galactogram, FRIDAY_9)
    path, first = staff_feed(client, two_room_dept.technologists[0])

    two_room_dept.rooms[0].name = "Mammography East"
    two_room_dept.rooms[0].save(update_fields=["name"])
    second = client.get(path, headers={"If-None-Match": first["ETag"]})

    assert second.status_code == 200 and second["ETag"] != first["ETag"]
    [event] = events(second).values()
    assert str(event["LOCATION"]) == "Mammography East"

"""Add to my calendar: the .ics of her appointment, read back by an outside client (ical.js)."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.core.cache import cache

from radiology.services.booking import book_appointment
from radiology.services.patient_links import patient_path
from radiology.services.rescheduling import reschedule_appointment
from tests import node_tools
from tests.factories import PatientFactory, StaffMemberFactory, small_department

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)
START = datetime(2027, 1, 13, 10, 0, tzinfo=NY)

# ical.js parses the file as a calendar application would and prints what it understood.
READ_WITH_ICAL_JS = """
import ICAL from "ical.js";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const event = new ICAL.Event(new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent("vevent"));
console.log(JSON.stringify({
  uid: event.uid, sequence: event.sequence, summary: event.summary, location: event.location,
  description: event.description, start: event.startDate.toUnixTime(), end: event.endDate.toUnixTime(),
  startIsUtc: event.startDate.zone.tzid === "UTC", attendees: event.attendees.length,
  organizer: event.organizer || null,
}));
"""


@pytest.fixture(autouse=True)
def frozen():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def appointment(galactogram):
    department = small_department()
    radiologist = department.radiologists[0].user
    radiologist.first_name, radiologist.last_name = "Gregory", "Housman"
    radiologist.save()
    return book_appointment(
        patient=PatientFactory(language="es"),
        procedure=galactogram,
        start=START,
        duration_minutes=45,
        actor=StaffMemberFactory(scheduler=True).user,
    )


def download(client, appointment):
    response = client.get(patient_path(appointment.pk) + "appointment.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    return response.content.decode()


def test_the_event_is_her_appointment_in_utc_with_the_place_and_our_number(client, appointment, settings):
    settings.CLINIC_PHONE = "+1 555 0123"
    text = download(client, appointment)

    event = json.loads(node_tools.run_node(READ_WITH_ICAL_JS, text))

    assert event["startIsUtc"]
    assert event["start"] == int(START.timestamp())
    assert event["end"] == int((START + timedelta(minutes=45)).timestamp())
    assert "DTSTART:20270113T150000Z" in text
    assert event["location"].startswith(appointment.room.location)
    assert "+1 555 0123" in event["description"]
    assert event["summary"].startswith("Cita:")  # her language


def test_the_file_names_no_staff_member(client, appointment):
    text = download(client, appointment)

    event = json.loads(node_tools.run_node(READ_WITH_ICAL_JS, text))

    assert (event["attendees"], event["organizer"]) == (0, None)
    for member in (appointment.radiologist, appointment.technologist):
        assert member.user.last_name not in text and member.user.first_name not in text
    assert "Housman" not in text


def test_a_moved_appointment_keeps_its_uid_with_a_higher_sequence(client, appointment):
    before = json.loads(node_tools.run_node(READ_WITH_ICAL_JS, download(client, appointment)))
    reschedule_appointment(appointment_id=appointment.pk, start=START + timedelta(days=1), actor=None)

    after = json.loads(node_tools.run_node(READ_WITH_ICAL_JS, download(client, appointment)))

    assert after["uid"] == before["uid"]
    assert after["sequence"] == before["sequence"] + 1
    assert after["start"] == before["start"] + 24 * 3600


def test_a_reminder_alarm_rings_when_the_no_expression_window_opens(client, appointment):
    calendar = icalendar.Calendar.from_ical(download(client, appointment))

    (alarm,) = calendar.walk("VALARM")

    assert alarm.decoded("trigger") == -timedelta(hours=48)
    assert "no apriete el pezón" in str(alarm["description"])


def test_cancelling_raises_the_sequence_so_her_calendar_strikes_the_event(client, appointment):
    before = icalendar.Calendar.from_ical(download(client, appointment)).walk("VEVENT")[0]
    client.post(patient_path(appointment.pk) + "cancel/")

    after = icalendar.Calendar.from_ical(download(client, appointment)).walk("VEVENT")[0]

    assert after["uid"] == before["uid"]
    assert after["sequence"] == before["sequence"] + 1
    assert (before["status"], after["status"]) == ("TENTATIVE", "CANCELLED")


def test_a_booking_is_sequence_1_as_the_version_was_so_no_imported_file_is_outranked(client, appointment):
    (event,) = icalendar.Calendar.from_ical(download(client, appointment)).walk("VEVENT")

    assert event["sequence"] == appointment.version == 1


def test_a_cancelled_appointment_is_published_as_cancelled(client, appointment):
    client.post(patient_path(appointment.pk) + "cancel/")

    (event,) = icalendar.Calendar.from_ical(download(client, appointment)).walk("VEVENT")

    assert event["status"] == "CANCELLED"
    assert event.decoded("dtstart") == START.astimezone(UTC)


def test_her_calendar_says_confirmed_only_once_she_said_she_will_come(client, appointment):
    # Issue #22: the file said CONFIRMED before she had confirmed anything.
    (before,) = icalendar.Calendar.from_ical(download(client, appointment)).walk("VEVENT")
    client.post(patient_path(appointment.pk) + "confirm/")
    (after,) = icalendar.Calendar.from_ical(download(client, appointment)).walk("VEVENT")

    assert (str(before["status"]), str(after["status"])) == ("TENTATIVE", "CONFIRMED")


def test_the_place_says_each_part_of_the_address_once(client, appointment, settings):
    settings.CLINIC_ADDRESS = "Main Hospital, Radiology, Level 2"
    appointment.room.location = "Breast Imaging, Level 2, Room 2.14"
    appointment.room.save()
    (event,) = icalendar.Calendar.from_ical(download(client, appointment)).walk("VEVENT")

    assert str(event["location"]) == "Breast Imaging, Level 2, Room 2.14, Main Hospital, Radiology"

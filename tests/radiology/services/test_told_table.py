"""The told table (radiology/services/told_table.py) against every door that reads it.

Each appointment is walked through the states and events of the table by the services, and
after each step every door is read as an outside system reads it: FHIR over the API (checked
as R4 by fhir.resources), the staff calendar feed and the patient's .ics (parsed with the
icalendar library), and the SIU rows planned for the EHR (parsed with hl7apy at STRICT)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.core.cache import cache
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from notifications import services as outbox
from notifications.models import Message
from radiology.models import Appointment, AppointmentStatus
from radiology.services import told_table
from radiology.services.action_table import ACTIONS
from radiology.services.booking import book_appointment
from radiology.services.calendar_feeds import issue_calendar_feed
from radiology.services.patient_links import patient_path
from radiology.services.rescheduling import reschedule_appointment
from radiology.services.told_table import EVENTS, STATES, Event, patient_calendar_status
from tests.actions import take_action
from tests.factories import PatientFactory, StaffMemberFactory, small_department
from tests.radiology.encoders.siu.receiver import MLLPReceiver
from tests.radiology.interfaces.api.conftest import client_for
from tests.radiology.interfaces.fhir.conftest import APPOINTMENT_STATUS, fhir

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)
ON_THE_DAY = datetime(2027, 1, 13, 8, 0, tzinfo=NY)
AFTER_START_AND_GRACE = datetime(2027, 1, 13, 12, 30, tzinfo=NY)


@pytest.fixture(autouse=True)
def frozen():
    cache.clear()  # the feeds keep built bodies in the cache
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def siu_on(settings):
    """An EHR endpoint is configured, so SIU events are planned (nothing listens unless a test
    starts a receiver)."""
    settings.HL7_OUT_HOST, settings.HL7_OUT_PORT, settings.HL7_OUT_TIMEOUT = "127.0.0.1", 9, 2.0
    settings.HL7_OUT_MESSAGES = ["siu"]  # the order status and the rest: tests/radiology/encoders/hl7_out/
    settings.PATIENT_PAGE_RATE_LIMIT = "1000/m"  # the walk downloads her .ics at every step


@pytest.fixture
def department():
    return small_department(rooms=2, radiologists=1, technologists=2)


def book(department, scheduler, galactogram, **kwargs):
    return book_appointment(
        patient=kwargs.pop("patient", None) or PatientFactory(),
        procedure=galactogram,
        start=WEDNESDAY_10,
        duration_minutes=45,
        actor=scheduler,
        room=department.rooms[0],
        radiologist=department.radiologists[0],
        technologist=department.technologists[0],
        side="left",
        indication="spontaneous_single_duct",
        **kwargs,
    )


# HL7 v2.5.1 tables 0038 (order status, the codes this product sends) and 0278 (filler status).
ORDER_STATUS = {"SC", "IP", "CM", "CA", "DC"}
FILLER_STATUS = {"Pending", "Waitlist", "Booked", "Started", "Complete", "Cancelled", "Dc", "Deleted", "Blocked"}
FILLER_STATUS |= {"Overbook", "Noshow"}
# What the booking services log beside the action table's own actions.
BOOKING_LOG = {"book", "reschedule"}


def test_the_table_has_a_row_for_every_state_and_event_in_the_codes_of_fhir_hl7_and_icalendar():
    assert set(STATES) == set(AppointmentStatus.values)
    assert set(EVENTS) == set(Event)
    assert {told.fhir for told in STATES.values()} <= APPOINTMENT_STATUS
    assert {told.calendar for told in STATES.values()} == {"CONFIRMED", "CANCELLED"}
    for told in EVENTS.values():
        assert told.order_status in ORDER_STATUS, told.event
        if told.siu:
            assert told.siu in {"S12", "S13", "S14", "S15", "S26"}, told.event
            assert told.filler_status in FILLER_STATUS, told.event
            assert told.siu_text, told.event  # SCH-6 without (or with an unknown) coded reason
        if told.reason:
            assert told.reason.system.startswith("99") and len(told.reason.system) == 5  # HL7 table 0396's 99zzz


def test_a_reason_code_the_catalog_no_longer_lists_is_told_as_the_event_itself():
    appointment = Appointment(cancel_reason_code="retired_code", cancel_reason="Old reason")

    assert told_table.siu_reason(EVENTS[Event.CANCELLED], appointment) == ("S15", "Cancelled", "L")
    appointment.cancel_reason_code = "patient_unwell"
    assert told_table.siu_reason(EVENTS[Event.CANCELLED], appointment) == ("patient_unwell", "Patient unwell", "99GCR")


def test_every_logged_action_the_table_counts_is_one_the_services_write():
    """A renamed action would silently stop raising SEQUENCE."""
    logged = {action for told in EVENTS.values() for action in told.logged_as}

    assert logged <= set(ACTIONS) | BOOKING_LOG


class Doors:
    """What each outside party sees of one appointment now."""

    def __init__(self, client, department):
        radiologist = department.radiologists[0]  # in every appointment here, whatever is re-staffed
        self.feed = issue_calendar_feed(actor=radiologist.user, staff=radiologist)
        self.client = client
        self.api = client_for(StaffMemberFactory(scheduler=True).user)

    def fhir_status(self, appointment) -> str:
        body = fhir(self.api, "GET", f"Appointment/{appointment.pk}").body
        return body["status"]

    def fhir_search_finds(self, appointment, code) -> bool:
        bundle = fhir(self.api, "GET", "Appointment", status=code, _count=100).body
        return str(appointment.pk) in {entry["resource"]["id"] for entry in bundle.get("entry", [])}

    def staff_event(self, appointment):
        calendar = icalendar.Calendar.from_ical(self.client.get(self.feed).content)
        [event] = [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith(f"appointment-{appointment.pk}@")]
        return str(event["STATUS"]), int(event["SEQUENCE"])

    def patient_event(self, appointment):
        response = self.client.get(patient_path(appointment.pk) + "appointment.ics")
        assert response.status_code == 200
        [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
        return str(event["STATUS"]), int(event["SEQUENCE"])

    def siu_rows(self, appointment) -> list[Message]:
        return list(Message.objects.filter(subject=f"siu:{appointment.pk}", channel="hl7").order_by("pk"))


def parsed(row: Message):
    message = parse_message(row.context["payload"], validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    message.validate()
    return message


def expected_sch_6(told, appointment) -> str:
    if told.reason is None:
        return f"{told.siu}^{told.siu_text}^L"
    code = getattr(appointment, told.reason.code_field)  # every ending walked here has a catalog code
    return f"{code}^{told.reason.choices(code).label}^{told.reason.system}"


def walk(doors, appointment, steps, frozen):
    """Check every door against the table after the booking and after each step; return the
    states and events seen. A step is (a clock time or None, the told event or None for a step
    no one is told of, a function taking it)."""
    seen_states, seen_events = set(), set()
    sequence, siu = 0, []  # before the booking: no calendar event, no message
    for moment, event, do in [(None, Event.BOOKED, lambda: None), *steps]:
        if moment is not None:
            frozen.move_to(moment)
        do()
        appointment.refresh_from_db()
        state = STATES[appointment.status]
        staff_status, staff_sequence = doors.staff_event(appointment)
        patient_status, patient_sequence = doors.patient_event(appointment)
        where = f"{event or 'untold step'} → {appointment.status}"

        assert doors.fhir_status(appointment) == state.fhir, where
        assert doors.fhir_search_finds(appointment, state.fhir), where
        assert (staff_status, patient_status) == (state.calendar, patient_calendar_status(appointment)), where
        shown = event is not None and EVENTS[event].calendars_show
        assert staff_sequence == patient_sequence == sequence + shown, where
        sequence = staff_sequence

        planned = doors.siu_rows(appointment)[len(siu) :]
        siu = doors.siu_rows(appointment)
        told = EVENTS[event] if event is not None else None
        if told is None or told.siu is None:
            assert planned == [], where
        else:
            assert len(planned) == 1, where
            [row] = planned
            message = parsed(row)
            assert message.msh.msh_9.to_er7() == f"SIU^{told.siu}^SIU_S12", where
            assert message.sch.sch_6.to_er7() == expected_sch_6(told, appointment), where
            assert message.sch.sch_25.to_er7() == f"{told.filler_status}^{told.filler_status}^HL70278", where
        seen_states.add(appointment.status)
        seen_events.add(event)
    return seen_states, seen_events - {None}


def test_every_state_and_event_is_told_to_fhir_the_calendars_and_the_ehr_as_the_table_says(
    client, department, galactogram, scheduler, frozen
):
    doors = Doors(client, department)
    technologist = department.technologists[0].user
    radiologist = department.radiologists[0].user
    states, events = set(), set()

    def run(steps):
        frozen.move_to(NOW)
        appointment = book(department, scheduler, galactogram)
        seen_states, seen_events = walk(doors, appointment, steps(appointment), frozen)
        states.update(seen_states)
        events.update(seen_events)

    def act(appointment, action, actor):
        return lambda: take_action(appointment.pk, action, actor)

    run(
        lambda a: [
            (None, None, act(a, "send_prep", None)),
            (None, None, act(a, "send_no_expression_reminder", None)),
            (
                None,
                Event.MOVED,
                lambda: reschedule_appointment(
                    appointment_id=a.pk, start=WEDNESDAY_10 + timedelta(hours=1), actor=scheduler
                ),
            ),
            (
                None,
                Event.RESTAFFED,
                lambda: reschedule_appointment(
                    appointment_id=a.pk,
                    start=WEDNESDAY_10 + timedelta(hours=1),
                    room=department.rooms[1],
                    radiologist=department.radiologists[0],
                    technologist=department.technologists[1],
                    actor=scheduler,
                ),
            ),
            (ON_THE_DAY, Event.CHECKED_IN, act(a, "check_in", department.technologists[1].user)),
            (None, Event.STARTED, act(a, "start", department.technologists[1].user)),
            (None, Event.COMPLETED, act(a, "complete", radiologist)),
            (None, None, act(a, "arrange_follow_up", radiologist)),
        ]
    )
    run(lambda a: [(None, Event.CANCELLED, act(a, "cancel", scheduler))])
    run(lambda a: [(ON_THE_DAY, Event.DID_NOT_PROCEED, act(a, "did_not_proceed", technologist))])
    run(lambda a: [(AFTER_START_AND_GRACE, Event.NO_SHOW, act(a, "no_show", technologist))])
    run(
        lambda a: [
            (ON_THE_DAY, Event.CHECKED_IN, act(a, "check_in", technologist)),
            (None, Event.STARTED, act(a, "start", technologist)),
            (None, Event.ABORTED, act(a, "abort", technologist)),
        ]
    )
    run(
        lambda a: [
            (ON_THE_DAY, Event.CHECKED_IN, act(a, "check_in", technologist)),
            (None, Event.STARTED, act(a, "start", technologist)),
            (None, Event.PERFORMED, act(a, "exam_done", technologist)),
            (None, Event.COMPLETED, act(a, "complete", technologist)),
        ]
    )

    assert states == set(AppointmentStatus.values)
    assert events == set(Event)
    # "Exam done" sends no SIU: the order status (ORC-5 CM) tells it.
    assert (EVENTS[Event.PERFORMED].siu, EVENTS[Event.PERFORMED].logged_as) == (None, ("exam_done",))


# --- end to end: "did not proceed" reaches the EHR, the calendars and FHIR ------------------


@pytest.fixture
def ehr(settings):
    """The EHR's MLLP receiver (it parses every message with hl7apy at STRICT)."""
    server = MLLPReceiver()
    settings.HL7_OUT_HOST, settings.HL7_OUT_PORT, settings.HL7_OUT_TIMEOUT = "127.0.0.1", server.port, 2.0
    settings.HL7_OUT_MESSAGES = ["siu"]
    yield server
    server.stop()


def deliver_due():
    """One dispatcher round, as the worker's send task does it."""
    now = datetime.now(tz=NY)
    ids, token = outbox.claim_due(now=now, limit=100)
    if ids:
        outbox.deliver_messages(message_ids=ids, token=token, now=now)


def test_did_not_proceed_sends_the_ehr_an_s15_with_its_reason_and_every_door_says_cancelled(
    ehr, client, department, galactogram, scheduler, technologist, frozen
):
    doors = Doors(client, department)
    patient = PatientFactory()
    appointment = book(department, scheduler, galactogram, patient=patient)
    deliver_due()
    frozen.move_to(ON_THE_DAY)

    take_action(appointment.pk, "did_not_proceed", technologist, reason_code="no_discharge", note="dry today")
    deliver_due()

    assert [(r.event, r.answer, r.error) for r in ehr.received] == [("S12", "AA", ""), ("S15", "AA", "")]
    s15 = ehr.received[1].message
    assert s15.sch.sch_1.to_er7() == f"{appointment.pk}^GALACTO"
    assert s15.sch.sch_6.to_er7() == "no_discharge^No discharge today^99GNP"  # the code, not her note
    assert s15.sch.sch_25.to_er7() == "Cancelled^Cancelled^HL70278"
    feed = client.get(doors.feed).content
    assert b"STATUS:CANCELLED" in feed
    assert doors.staff_event(appointment)[0] == "CANCELLED"
    assert doors.fhir_status(appointment) == "cancelled"

    # The order is back in the queue; booking it again is a new appointment: a new S12.
    again = book_appointment(
        patient=patient,
        order=appointment.order,
        procedure=galactogram,
        start=WEDNESDAY_10 + timedelta(days=5),
        duration_minutes=45,
        actor=scheduler,
    )
    deliver_due()

    assert [r.event for r in ehr.received] == ["S12", "S15", "S12"]
    rebooked = ehr.received[2].message
    assert rebooked.sch.sch_1.to_er7() == f"{again.pk}^GALACTO"
    assert rebooked.sch.sch_27.to_er7() == f"{appointment.order.accession_number}^GALACTO"
    assert ehr.received[2].error == ""

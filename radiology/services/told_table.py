"""The one table of what other systems are told about an appointment.

Beside the action table (what staff may do), this table says what each outside party hears:
- for every state: the FHIR R4 Appointment.status and the calendars' STATUS (CANCELLED for
  every state in which the appointment did not take place, CONFIRMED otherwise);
- for every event: the SIU trigger event (none when the order status covers it), the
  reason it carries in SCH-6 (the coded reason of the change, or the event's own), the
  filler status in SCH-25 (HL7 table 0278), the order status an EHR is to be sent in ORC-5
  (HL7 table 0038; the order-status message sends it), and whether other calendars show the change, in
  which case their SEQUENCE rises.

FHIR (read and search), the staff and room calendar feeds, the patient's .ics and the SIU
planning (services/hl7_events.py) read this module; none maps states on its own. A new
outbound message is a column here plus an encoder.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from procedures.reasons import AbortReason, CancelReason, NotProceededReason
from radiology.models.appointments import Appointment, AppointmentStatus, AppointmentTransition

S = AppointmentStatus
CONFIRMED, CANCELLED, TENTATIVE = "CONFIRMED", "CANCELLED", "TENTATIVE"


@dataclass(frozen=True)
class StateTold:
    fhir: str  # Appointment.status (R4)
    calendar: str  # VEVENT STATUS (RFC 5545)


STATES: dict[str, StateTold] = {
    S.BOOKED: StateTold("booked", CONFIRMED),
    S.PREP_SENT: StateTold("booked", CONFIRMED),
    S.REMINDED: StateTold("booked", CONFIRMED),
    S.CHECKED_IN: StateTold("checked-in", CONFIRMED),
    S.IN_PROCEDURE: StateTold("arrived", CONFIRMED),
    S.PERFORMED: StateTold("fulfilled", CONFIRMED),
    S.COMPLETED: StateTold("fulfilled", CONFIRMED),
    S.FOLLOW_UP: StateTold("fulfilled", CONFIRMED),
    # The patient was seen and the exam began; the outcome (aborted, with its reason) belongs
    # to the procedure record, so for other systems the appointment took place.
    S.INCOMPLETE: StateTold("fulfilled", CONFIRMED),
    # The patient was not examined (no discharge, declined, ...): for other systems the
    # appointment did not take place.
    S.DID_NOT_PROCEED: StateTold("cancelled", CANCELLED),
    S.CANCELLED: StateTold("cancelled", CANCELLED),
    S.NO_SHOW: StateTold("noshow", CANCELLED),
}


class Event(StrEnum):
    BOOKED = "booked"
    MOVED = "moved"  # another time
    RESTAFFED = "restaffed"  # the same time, another room or other people
    CANCELLED = "cancelled"
    DID_NOT_PROCEED = "did_not_proceed"
    NO_SHOW = "no_show"
    CHECKED_IN = "checked_in"
    STARTED = "started"
    PERFORMED = "performed"  # the exam is done (the outcome may be recorded later)
    ABORTED = "aborted"
    COMPLETED = "completed"


@dataclass(frozen=True)
class ReasonTable:
    """A table of coded reasons (procedures.reasons) as a coding system in SCH-6 (CWE:
    identifier^text^coding system; 99zzz is HL7 table 0396's form for a local table)."""

    choices: type
    code_field: str  # the Appointment field that keeps the code
    system: str


CANCEL_REASONS = ReasonTable(CancelReason, "cancel_reason_code", "99GCR")
NOT_PROCEEDED_REASONS = ReasonTable(NotProceededReason, "abort_reason_code", "99GNP")
ABORT_REASONS = ReasonTable(AbortReason, "abort_reason_code", "99GAR")


@dataclass(frozen=True)
class EventTold:
    event: Event
    # The action-log names (AppointmentTransition.action) this event is written as.
    logged_as: tuple[str, ...]
    order_status: str  # ORC-5, HL7 table 0038
    calendars_show: bool  # other calendars show it: their SEQUENCE rises
    siu: str | None = None  # the SIU trigger event; None: the order status covers it
    siu_text: str = ""  # SCH-6 text when the event has no coded reason (or an unknown one)
    reason: ReasonTable | None = None  # SCH-6 is the appointment's coded reason
    filler_status: str = ""  # SCH-25 and AIS-10, HL7 table 0278


# ORC-5 (HL7 table 0038), as the order-status message (encoders/order_status.py) sends it: SC scheduled (also
# after check-in: nothing is performed yet); IP in process once the exam starts; CM when
# performed; CA when the appointment is cancelled, did not proceed or was missed (the EHR's
# order then waits for a new time from our work queue, with the same accession number); DC when
# the exam was aborted, discontinued in the room.
_RESCHEDULED = ("reschedule", "step_back_for_reschedule")
_TABLE = [
    EventTold(
        Event.BOOKED,
        ("book",),
        order_status="SC",
        calendars_show=True,
        siu="S12",
        siu_text="Booked",
        filler_status="Booked",
    ),
    EventTold(
        Event.MOVED,
        _RESCHEDULED,
        order_status="SC",
        calendars_show=True,
        siu="S13",
        siu_text="Rescheduled",
        filler_status="Booked",
    ),
    EventTold(
        Event.RESTAFFED,
        (*_RESCHEDULED, "restaff"),
        order_status="SC",
        calendars_show=True,
        siu="S14",
        siu_text="Modified: room or staff",
        filler_status="Booked",
    ),
    EventTold(
        Event.CANCELLED,
        ("cancel",),
        order_status="CA",
        calendars_show=True,
        siu="S15",
        siu_text="Cancelled",
        reason=CANCEL_REASONS,
        filler_status="Cancelled",
    ),
    # She came (or was due) and was not examined: for the EHR the booked slot is cancelled, so
    # that the re-booking's S12 is not a second live appointment beside the first.
    EventTold(
        Event.DID_NOT_PROCEED,
        ("did_not_proceed",),
        order_status="CA",
        calendars_show=True,
        siu="S15",
        siu_text="Did not proceed",
        reason=NOT_PROCEEDED_REASONS,
        filler_status="Cancelled",
    ),
    EventTold(
        Event.NO_SHOW,
        ("no_show",),
        order_status="CA",
        calendars_show=True,
        siu="S26",
        siu_text="Patient did not arrive",
        filler_status="Noshow",
    ),
    EventTold(Event.CHECKED_IN, ("check_in",), order_status="SC", calendars_show=False),
    EventTold(Event.STARTED, ("start",), order_status="IP", calendars_show=False),
    EventTold(Event.PERFORMED, ("exam_done",), order_status="CM", calendars_show=False),
    # The appointment took place and ended early: modified (not cancelled), discontinued.
    EventTold(
        Event.ABORTED,
        ("abort",),
        order_status="DC",
        calendars_show=False,
        siu="S14",
        siu_text="Aborted",
        reason=ABORT_REASONS,
        filler_status="Dc",
    ),
    EventTold(Event.COMPLETED, ("complete",), order_status="CM", calendars_show=False),
]
EVENTS: dict[Event, EventTold] = {row.event: row for row in _TABLE}
# The logged changes that other calendars show: SEQUENCE counts these.
SHOWN_ACTIONS = sorted({action for row in _TABLE if row.calendars_show for action in row.logged_as})


def fhir_status(status: str) -> str:
    return STATES[status].fhir


def statuses_with_fhir(codes) -> list[str]:
    """Our states that FHIR reports as any of these codes (search by status)."""
    return [ours for ours, told in STATES.items() if told.fhir in codes]


def calendar_status(status: str) -> str:
    return STATES[status].calendar


def patient_calendar_status(appointment: Appointment) -> str:
    """STATUS in her own .ics: TENTATIVE while the visit is to come and she has not said she
    will be there (a CONFIRMED she never gave misleads her calendar), the table's otherwise."""
    upcoming = appointment.status in (S.BOOKED, S.PREP_SENT, S.REMINDED)
    if upcoming and appointment.patient_confirmed_at is None:
        return TENTATIVE
    return calendar_status(appointment.status)


def siu_reason(told: EventTold, appointment: Appointment) -> tuple[str, str, str]:
    """SCH-6 as (identifier, text, coding system): the appointment's coded reason when the
    event has one, else the trigger event with its own text in a local table. A code the
    catalog no longer lists (an old row) falls back to the latter: a message that cannot be
    written would roll back the change it announces."""
    code = getattr(appointment, told.reason.code_field) if told.reason else ""
    if told.reason is None or code not in told.reason.choices.values:
        return told.siu, told.siu_text, "L"
    return code, str(told.reason.choices(code).label), told.reason.system


def calendar_sequence():
    """An appointment's SEQUENCE, as a query expression: how many of its logged changes other
    calendars show, the booking included (so a booking is 1: the patient's .ics said the
    appointment's version before, which starts at 1, and a SEQUENCE must never go down).
    Prep sent, check-in or completion change nothing a calendar shows; they leave it."""
    counted = (
        AppointmentTransition.objects.filter(appointment=OuterRef("pk"), action__in=SHOWN_ACTIONS)
        .order_by()
        .values("appointment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def sequence_of(appointment: Appointment) -> int:
    """calendar_sequence() of one appointment."""
    return Appointment.objects.filter(pk=appointment.pk).annotate(n=calendar_sequence()).values_list("n", flat=True)[0]

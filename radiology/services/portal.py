"""What a patient can do through her link, and what her page says. No login is needed.

Every change is one transaction and a patient's change is logged as "Patient via link"
(the actor is None, as for the system). The page's decisions are made here, once: her one
current status, the timing of the no-expression advice, the times she may move to.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from procedures.reasons import CancelReason
from radiology.errors import ServiceRefusal
from radiology.models import UPCOMING, Appointment, AppointmentStatus, ReadinessResponse
from radiology.services.cancellation import cancel_appointment
from radiology.services.rescheduling import reschedule_appointment
from radiology.services.slots import next_free_slots
from radiology.services.transitions import lock_appointment
from scheduling.clinic_time import clinic_zone

S = AppointmentStatus
PATIENT_VIA_LINK = "Patient via link"
# The no-expression advice names its start ("from Monday 09:00") once the window opens
# within this; further ahead it says when to begin ("starting Monday 09:00").
NEAR_WINDOW = timedelta(hours=24)
# Self-rescheduling offers: this many days, and on each day the earliest, a middle and the
# latest free start, so that she sees mornings and afternoons, not 08:00, 08:15, 08:30.
OFFER_DAYS = 4
OFFERS_PER_DAY = 3
SLOTS_PER_DAY = 48  # a whole day of 15-minute starts: enough to find its latest free one


# --- what the page shows -------------------------------------------------------------------


class Status:
    """Her appointment's one current status, in order of precedence (see patient_status)."""

    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    DONE = "done"
    HERE = "here"
    PASSED = "passed"
    ANOTHER_TIME = "another_time"
    CONFIRMED = "confirmed"
    AWAITING = "awaiting"

    # She can still confirm, answer, move or cancel from her page.
    ACTIONABLE = (ANOTHER_TIME, CONFIRMED, AWAITING)


def patient_status(appointment: Appointment, *, now: datetime) -> str:
    """One status, never two. The appointment's state comes first (cancelled, missed, done,
    at the clinic today); an upcoming appointment whose time has passed cannot be acted on;
    then her latest wish: asking for another time and "I will come" exclude each other
    (each service clears the other), and for rows from before that rule the later wins."""
    if appointment.status == S.CANCELLED:
        return Status.CANCELLED
    if appointment.status == S.NO_SHOW:
        return Status.NO_SHOW
    if appointment.status in (S.PERFORMED, S.COMPLETED, S.FOLLOW_UP, S.INCOMPLETE):
        return Status.DONE
    if appointment.status in (S.CHECKED_IN, S.IN_PROCEDURE):
        return Status.HERE
    if appointment.start <= now:
        return Status.PASSED
    asked, confirmed = appointment.reschedule_requested_at, appointment.patient_confirmed_at
    if asked and (confirmed is None or asked >= confirmed):
        return Status.ANOTHER_TIME
    if confirmed:
        return Status.CONFIRMED
    return Status.AWAITING


@dataclass(frozen=True)
class Advice:
    """When to stop squeezing the nipple. kind: "starting" (the window opens later: say when
    to begin), "from" (it opens soon: say from when), "now" (it is open: from now on)."""

    kind: str
    at: datetime  # local time the window opens
    hours: int


def no_expression_advice(appointment: Appointment, *, now: datetime) -> Advice | None:
    """The catalog's window (no squeezing for N hours before the start), told as the
    patient needs it at this moment; None when the appointment is not ahead of her."""
    if appointment.status not in UPCOMING or appointment.start <= now:
        return None
    hours = appointment.procedure.no_expression_window_max_hours
    if not hours:
        return None
    # In UTC, subtraction counts real hours; in a zone it would count wall-clock hours.
    opens = appointment.start.astimezone(UTC) - timedelta(hours=hours)
    if now >= opens:
        kind = "now"
    elif now >= opens - NEAR_WINDOW:
        kind = "from"
    else:
        kind = "starting"
    return Advice(kind=kind, at=opens.astimezone(clinic_zone()), hours=hours)


def latest_answers(appointment: Appointment) -> ReadinessResponse | None:
    return appointment.readiness_responses.order_by("-answered_at").first()


def reschedule_choices(*, appointment: Appointment, now: datetime) -> list[datetime]:
    """The next free times the rules allow her to move to: the same procedure and length,
    after the lead time, in everyone's working hours, never over her other appointments
    (the booking service's search), a few per day over the next OFFER_DAYS days with any."""
    if appointment.status not in UPCOMING or appointment.start <= now:
        return []
    zone = clinic_zone()
    choices: list[datetime] = []
    after = now
    for _ in range(OFFER_DAYS):
        slots = next_free_slots(
            procedure=appointment.procedure,
            duration_minutes=appointment.duration_minutes,
            after=after,
            patient=appointment.patient,
            exclude=appointment,
            limit=SLOTS_PER_DAY,
        )
        if not slots:
            break
        day = slots[0].start.astimezone(zone).date()
        starts = [s.start for s in slots if s.start.astimezone(zone).date() == day and s.start != appointment.start]
        picks = sorted({starts[i] for i in (0, len(starts) // 2, -1)}) if starts else []
        choices += picks[:OFFERS_PER_DAY]
        after = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return choices


# --- what she does -------------------------------------------------------------------------


def _upcoming(appointment_id: int, now):
    return Appointment.objects.filter(pk=appointment_id, status__in=UPCOMING, start__gt=now)


def confirm_attendance(*, appointment_id: int, now) -> bool:
    """She says she is coming: that withdraws an earlier request for another time."""
    return bool(_upcoming(appointment_id, now).update(patient_confirmed_at=now, reschedule_requested_at=None))


def record_readiness(
    *, appointment_id: int, discharge_present, expressed_last_48h, contrast_allergy, now
) -> ReadinessResponse:
    """Store the patient's answers; the latest answers count and are shown to staff."""
    return ReadinessResponse.objects.create(
        appointment_id=appointment_id,
        discharge_present=discharge_present,
        expressed_last_48h=expressed_last_48h,
        contrast_allergy=contrast_allergy,
        answered_at=now,
    )


def request_another_time(*, appointment_id: int, now) -> bool:
    """Put the appointment on the schedulers' to-do list to call her; the booking stays
    until they move it. It replaces an earlier "I will come"."""
    return bool(_upcoming(appointment_id, now).update(reschedule_requested_at=now, patient_confirmed_at=None))


def cancel_by_patient(*, appointment_id: int, now) -> Appointment:
    """Cancel an appointment that is still ahead, through the booking service (frees the
    room and people, withdraws reminders, tells staff if it was soon)."""
    if not _upcoming(appointment_id, now).exists():
        raise ServiceRefusal("This appointment can no longer be cancelled here.")
    return cancel_appointment(
        appointment_id=appointment_id, actor=None, reason_code=CancelReason.PATIENT_VIA_LINK, now=now
    )


def reschedule_by_patient(*, appointment_id: int, start: datetime, now) -> Appointment:
    """Move her appointment to one of the times reschedule_choices offers her now, through
    the booking service: its reservations move under the database's no-overlap rule (a
    rival who got there first makes this a "conflict" with fresh choices), its reminders are
    re-planned, staff are told as for any move. Choosing the time is her confirmation."""
    with transaction.atomic():
        appointment = lock_appointment(appointment_id)
        choices = reschedule_choices(appointment=appointment, now=now)
        if start not in choices:
            raise ServiceRefusal.just_taken(choices)
        try:
            reschedule_appointment(
                appointment_id=appointment_id, start=start, actor=None, note=PATIENT_VIA_LINK, now=now
            )
        except ServiceRefusal as error:
            if error.code == "conflict":
                error.suggestions = reschedule_choices(appointment=appointment, now=now)
            raise
        Appointment.objects.filter(pk=appointment_id).update(patient_confirmed_at=now)
    return Appointment.objects.get(pk=appointment_id)

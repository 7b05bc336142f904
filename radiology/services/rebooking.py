"""No one lost after a no-show or "did not proceed" (issue 20 C).

The order goes back to the work queue (order_lifecycle, as before) and a Rebooking opens:
  waiting ──any new appointment of the order is booked (her link, the phone, the queue)──▶ rebooked
     └── the last step (EscalationRule loop "rebooking": referrer_flag) ──▶ flagged to the referrer
Its steps (radiology.services.loop_steps): at once, one message to her with her link to choose a
new time (SMS quiet hours, her language); a call task on the to-do when she has not rebooked
within the table's days; then the order is flagged to the referring physician. A patient who
has died is sent nothing and no loop opens. Her choice of time books through the booking
service (book_appointment with the order), as every other booking; a link used after she was
rebooked by phone is refused with the time she already has.
"""

from datetime import datetime

from radiology.models import Appointment, AppointmentStatus, Loop, Order, Rebooking, StepKind
from radiology.services import loop_steps
from scheduling.clinic_time import clinic_zone

R = Rebooking.State
MISSED_STATES = (AppointmentStatus.NO_SHOW, AppointmentStatus.DID_NOT_PROCEED)
OFFERS = 6


def _message_for(appointment: Appointment, now):
    def make(step_kind, due):
        if step_kind != StepKind.REBOOK_MESSAGE:
            return None
        return loop_steps.patient_message(
            patient=appointment.patient,
            subject=appointment.holder,  # the outbox signs her link to this appointment at send time
            kind="rebook",
            due=due,
            now=now,
            key=f"{appointment.holder}:rebook:patient",
        )

    return make


def on_missed(*, appointment: Appointment, now: datetime) -> Rebooking | None:
    """Called by the no-show and did-not-proceed services in their transaction."""
    order = Order.objects.get(pk=appointment.order_id)  # as the transition left it
    if appointment.patient.deceased or order.status != Order.Status.WAITING:
        return None
    rebooking, created = Rebooking.objects.get_or_create(
        missed_appointment=appointment, defaults={"order": order, "missed_at": now}
    )
    if not created:
        return rebooking
    loop_steps.log(
        rebooking=rebooking,
        action="opened",
        at=now,
        note=f"{appointment.get_status_display()}: order back in the queue",
    )
    loop_steps.plan_steps(
        loop=Loop.REBOOKING,
        anchor=now,
        owner={"rebooking": rebooking},
        make_message=_message_for(appointment, now),
        now=now,
    )
    return rebooking


def _end(rebooking: Rebooking, *, state, now, action, note, actor=None, **fields) -> None:
    Rebooking.objects.filter(pk=rebooking.pk).update(state=state, **fields)
    loop_steps.log(rebooking=rebooking, action=action, at=now, actor=actor, note=note)
    loop_steps.withdraw_steps(
        owner={"rebooking": rebooking},
        subject=rebooking.missed_appointment.holder,
        now=now,
        reason=f"Withdrawn: {note[0].lower()}{note[1:]}",
    )


def on_order_booked(*, appointment: Appointment, actor, now: datetime) -> None:
    """A new appointment of the order, however it was booked: she is rebooked."""
    for rebooking in Rebooking.objects.filter(order_id=appointment.order_id, state__in=[R.WAITING, R.FLAGGED]):
        days = (now - rebooking.missed_at).total_seconds() / 86400
        _end(
            rebooking,
            state=R.REBOOKED,
            now=now,
            action="rebooked",
            actor=actor,
            note=f"Rebooked as appointment #{appointment.pk}, {days:.1f} days after the missed visit",
            rebooked_appointment=appointment,
            rebooked_at=now,
        )


def on_order_closed(*, order: Order, now: datetime, note: str) -> None:
    """The order was cancelled, or the patient died: nothing more is asked of anyone."""
    for rebooking in Rebooking.objects.filter(order=order, state=R.WAITING):
        _end(rebooking, state=R.ENDED, now=now, action="ended", note=note)


# --- her link -----------------------------------------------------------------------------


def waiting_rebooking(appointment: Appointment) -> Rebooking | None:
    return Rebooking.objects.filter(missed_appointment=appointment).select_related("order").first()


def already_rebooked_sentence(rebooking: Rebooking) -> str:
    new = rebooking.rebooked_appointment
    if new is None:
        return "This link can no longer be used to choose a time. Please call us."
    when = new.start.astimezone(clinic_zone())
    return (
        f"You already have a new appointment on {when:%A %d %B %Y at %H:%M}, "
        "so this link can no longer be used to choose another time."
    )


def message_skip_reason(message) -> str | None:
    """Re-checked when the rebook message's turn comes: still waiting, and she is alive."""
    row = (
        Rebooking.objects.filter(missed_appointment_id=int(message.subject.partition(":")[2]))
        .values("state", "missed_appointment__patient__deceased")
        .first()
    )
    if row is None:
        return "Nothing to rebook."
    if row["missed_appointment__patient__deceased"]:
        return "The patient has died."
    if row["state"] not in (R.WAITING,):
        return f"{R(row['state']).label}."
    return None

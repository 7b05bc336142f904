"""How an order's status follows its appointments (its identifiers: order_opening).

Status: waiting until an appointment is booked, scheduled while one is live, completed
when it is completed; when an appointment ends without the exam (cancelled by the
department, no-show, aborted) the order returns to waiting, to the schedulers' work queue,
with the same identifiers. Only cancelling the order itself (the EHR's CA/OC, or a
scheduler) makes it cancelled. Callers hold the surrounding transaction.
"""

from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentStatus, Order
from radiology.services.order_actions import ORDER_ACTIONS

# Appointment states that end the visit without the exam: the order goes back to the queue.
ENDED_WITHOUT_EXAM = {
    AppointmentStatus.CANCELLED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.INCOMPLETE,
    AppointmentStatus.DID_NOT_PROCEED,
}
EXAM_DONE = {AppointmentStatus.PERFORMED, AppointmentStatus.COMPLETED, AppointmentStatus.FOLLOW_UP}


def follow_appointment(*, appointment: Appointment) -> None:
    """Bring the appointment's order to the status its appointment implies."""
    order = appointment.order
    if order.status == Order.Status.CANCELLED:
        return
    if appointment.status in EXAM_DONE:
        status = Order.Status.COMPLETED
    elif appointment.status in ENDED_WITHOUT_EXAM:
        status = Order.Status.WAITING
    else:
        status = Order.Status.SCHEDULED
    if order.status != status:
        Order.objects.filter(pk=order.pk).update(status=status, updated_at=timezone.now())
        order.status = status


def check_bookable(*, order: Order, patient, procedure) -> Order:
    """Lock a waiting order for booking; refuse one of another patient, another procedure,
    or one already scheduled, done or cancelled (the order table's "book_now" rule)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.patient_id != patient.pk:
        raise _invalid("order", f"Order {order.accession_number} is for another patient.")
    if order.procedure_id != procedure.pk:
        raise _invalid("order", f"Order {order.accession_number} is for another procedure.")
    refusal = ORDER_ACTIONS["book_now"].refusal(order, ())
    if refusal:
        booked = live_appointment(order)
        # A second Confirm (Back after booking) is told what the first one did.
        raise _invalid("order", already_booked(booked) if booked else refusal)
    return order


def live_appointment(order: Order) -> Appointment | None:
    """The order's appointment still ahead or under way (a scheduled order has one)."""
    ended = ENDED_WITHOUT_EXAM | EXAM_DONE
    return order.appointments.exclude(status__in=ended).order_by("-start").first()


def already_booked(appointment: Appointment) -> str:
    return f"Already booked: {appointment.local_start:%a %d %b %Y %H:%M} (appointment #{appointment.pk})."


def check_clinical_facts(*, indication: str = "", indication_other: str = "", side: str = "", **_) -> None:
    """What every door checks before writing an order (the database checks it again)."""
    if indication and indication not in Order.Indication.values:
        raise _invalid("indication", f"Unknown indication “{indication}”.")
    if indication == Order.Indication.OTHER and not indication_other.strip():
        raise _invalid("indication_other", "Describe the indication when it is “other”.")
    if side and side not in Order.Side.values:
        raise _invalid("side", "The side is left or right.")


def _invalid(field: str, message: str) -> ServiceRefusal:
    return ServiceRefusal(message, code="invalid", fields={field: message})

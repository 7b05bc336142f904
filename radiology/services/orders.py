"""Orders: creating, changing and cancelling them (pages, API and the HL7 listener share
these), and the schedulers' work queue.

An order is the referral an appointment is booked from. `actor=None` is the system (the
HL7 listener acting for the EHR); a person needs the order permissions of their role.
Identifiers: radiology.services.order_opening; the status that follows appointments: order_lifecycle.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from procedures.reasons import CancelReason
from radiology.errors import ServiceRefusal
from radiology.models import CANCELLABLE, Order, Patient
from radiology.services import (
    cancellation,
    invitation_steps,
    order_invitations,
    order_lifecycle,
    order_opening,
    rebooking,
)
from radiology.services.order_actions import ORDER_ACTIONS, appointment_statuses
from scheduling.clinic_time import clinic_zone

# What people and the EHR may set on an order; identifiers and status are the product's.
FACTS = (
    "placer_system",
    "placer_order_number",
    "referring_physician_family_name",
    "referring_physician_given_name",
    "referring_physician_phone",
    "referring_physician_npi",
    "indication",
    "indication_other",
    "side",
    "discharge_colour",
    "discharge_ducts",
    "prior_imaging_kind",
    "prior_imaging_date",
    "prior_imaging_where",
    "pregnancy_status",
    "lactating",
    "priority",
    "note",
)
PRIOR_IMAGING_MAX_AGE = timedelta(days=90)


def _check_permission(actor, permission: str, label: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise ServiceRefusal(f"Your role does not allow {label}.", code="forbidden")


def _check_facts(facts: dict) -> None:
    unknown = set(facts) - set(FACTS)
    if unknown:
        raise TypeError(f"Not order facts: {', '.join(sorted(unknown))}")
    order_lifecycle.check_clinical_facts(**facts)


def _validated(order: Order) -> None:
    """The model's own choices, validators and constraints, as a sentence per field."""
    try:
        order.full_clean(exclude=["patient", "procedure", "created_by", "accession_number", "study_instance_uid"])
    except ValidationError as error:
        fields = {name: " ".join(messages) for name, messages in error.message_dict.items()}
        raise ServiceRefusal(" ".join(fields.values()), code="invalid", fields=fields) from None


def _placer_conflict(placer_system: str, placer_order_number: str) -> ServiceRefusal:
    return ServiceRefusal(
        f"Order {placer_order_number} from {placer_system or 'this placer'} already exists.",
        code="conflict",
        fields={"placer_order_number": "Already received."},
    )


def create_order(
    *, actor, patient: Patient, procedure, received_at: datetime | None = None, now: datetime | None = None, **facts
) -> Order:
    """Create a waiting order with a new accession number and Study Instance UID. The
    placer's order number is unique per placer system; "other" indication needs its text."""
    _check_permission(actor, "radiology.add_order", "entering orders")
    _check_facts(facts)
    now = now or timezone.now()
    facts = {k: v.strip() if isinstance(v, str) else v for k, v in facts.items()}
    placer = (facts.get("placer_system", ""), facts.get("placer_order_number", ""))
    if placer[1] and Order.objects.filter(placer_system=placer[0], placer_order_number=placer[1]).exists():
        raise _placer_conflict(*placer)
    probe = Order(patient=patient, procedure=procedure, received_at=received_at or now, **facts)
    probe.accession_number, probe.study_instance_uid = "GA-probe", "2.25.0"
    _validated(probe)
    try:
        with transaction.atomic():
            order = order_opening.open_order(
                now=now,
                patient=patient,
                procedure=procedure,
                received_at=received_at or now,
                created_by=actor,
                **facts,
            )
            # ORDER_INVITATIONS_AUTOMATIC: she is invited to choose her time with the order's arrival.
            order_invitations.on_order_received(order=order, now=now)
            return order
    except IntegrityError:
        if placer[1] and Order.objects.filter(placer_system=placer[0], placer_order_number=placer[1]).exists():
            raise _placer_conflict(*placer) from None  # received on another connection a moment ago
        raise


def update_order(*, order_id: int, actor, procedure=None, **changes) -> Order:
    """Change an order's facts (the EHR's XO, or a scheduler). A cancelled or completed
    order is closed; while its patient is checked in or under the exam nothing changes (a
    side changed behind the technologist's back is how wrong-side exams happen); its
    procedure can change only while it waits to be scheduled (the order table's
    "correct_facts" rule, radiology.services.order_actions). Identifiers never change."""
    _check_permission(actor, "radiology.change_order", "changing orders")
    _check_facts(changes)
    with transaction.atomic():
        order = _lock(order_id)
        refusal = ORDER_ACTIONS["correct_facts"].refusal(order, appointment_statuses(order))
        if refusal:
            raise ServiceRefusal(refusal)
        if procedure is not None and procedure.pk != order.procedure_id:
            if order.status != Order.Status.WAITING:
                raise ServiceRefusal(
                    f"Order {order.accession_number} is booked; cancel its appointment before changing the procedure.",
                    code="invalid",
                    fields={"procedure": "Booked already."},
                )
            order.procedure = procedure
        for name, value in changes.items():
            setattr(order, name, value.strip() if isinstance(value, str) else value)
        _validated(order)
        order.save()
    return order


def cancel_order(*, order_id: int, reason: str, actor, now: datetime | None = None) -> Order:
    """Cancel an order with a reason, and its booked appointment with it (the time is freed
    and pending reminders withdrawn, by the booking service). An order already cancelled
    stays as it is; a completed one, or one whose exam is under way, cannot be cancelled (the
    order table's "cancel" rule)."""
    _check_permission(actor, "radiology.change_order", "cancelling orders")
    reason = reason.strip()
    if not reason:
        raise ServiceRefusal("Say why the order is cancelled.", code="invalid", fields={"reason": "Required."})
    now = now or timezone.now()
    with transaction.atomic():
        order = _lock(order_id)
        if order.status == Order.Status.CANCELLED:
            return order  # the EHR resending its cancel: nothing left to do
        refusal = ORDER_ACTIONS["cancel"].refusal(order, appointment_statuses(order))
        if refusal:
            raise ServiceRefusal(refusal)
        # Cancelled first, so the appointment's cancellation does not return it to the queue.
        order.status, order.cancel_reason = Order.Status.CANCELLED, reason[:300]
        order.save(update_fields=["status", "cancel_reason", "updated_at"])
        for appointment_id in order.appointments.filter(status__in=CANCELLABLE).values_list("pk", flat=True):
            cancellation.cancel_appointment(
                appointment_id=appointment_id,
                actor=actor,
                reason_code=CancelReason.REFERRER_CANCELLED,
                note=reason[:250],
                now=now,
            )
        rebooking.on_order_closed(order=order, now=now, note="The order was cancelled.")
        invitation_steps.on_order_closed(order=order, now=now, note="the order was cancelled")
    return order


def _lock(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise ServiceRefusal("That order does not exist.", code="not_found") from None


# --- selectors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessFlag:
    code: str
    text: str


def order_readiness(order: Order, *, on: date) -> list[ReadinessFlag]:
    """What the department should know before the exam on `on`: no prior mammogram or
    ultrasound to localise the duct (or one older than 90 days), lactation, pregnancy,
    urgency, a missing side."""
    flags = []
    if order.priority == Order.Priority.URGENT:
        flags.append(ReadinessFlag("urgent", "Urgent"))
    if order.prior_imaging_kind == Order.PriorImaging.NONE:
        flags.append(ReadinessFlag("no_prior_imaging", "No prior mammogram or ultrasound"))
    elif order.prior_imaging_date is None:
        flags.append(ReadinessFlag("prior_imaging_undated", "Prior imaging: date unknown"))
    elif on - order.prior_imaging_date > PRIOR_IMAGING_MAX_AGE:
        days = (on - order.prior_imaging_date).days
        flags.append(ReadinessFlag("prior_imaging_old", f"Prior imaging {days} days old (over 90)"))
    if order.lactating:
        flags.append(ReadinessFlag("lactating", "Lactating"))
    if order.pregnancy_status in (Order.Pregnancy.PREGNANT, Order.Pregnancy.POSSIBLE):
        flags.append(ReadinessFlag("pregnancy", order.get_pregnancy_status_display()))
    if not order.side:
        flags.append(ReadinessFlag("side_missing", "Side not given"))
    return flags


@dataclass(frozen=True)
class QueueRow:
    order: Order
    patient_age: int
    waiting_days: int
    flags: list[ReadinessFlag]


def waiting_orders() -> QuerySet[Order]:
    urgent_first = Case(
        When(priority=Order.Priority.URGENT, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Order.objects.filter(status=Order.Status.WAITING)
        .select_related("patient", "procedure")
        .order_by(urgent_first, "received_at", "pk")
    )


def orders_to_schedule(*, now: datetime | None = None, limit: int = 200) -> list[QueueRow]:
    """The schedulers' work queue: waiting orders, urgent first, then the longest waiting,
    with the patient's age, days waiting and readiness flags."""
    today = (now or timezone.now()).astimezone(clinic_zone()).date()
    return [
        QueueRow(
            order=order,
            patient_age=order.patient.age_on(today),
            waiting_days=(today - order.received_at.astimezone(clinic_zone()).date()).days,
            flags=order_readiness(order, on=today),
        )
        for order in waiting_orders()[:limit]
    ]

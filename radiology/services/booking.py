"""Booking a galactogram: the one way in for the pages, the API and FHIR.

The request is checked first (a zoned start in the future, an allowed duration, the lead
time or a reason to book inside it, a room and people who can do it); then the whole change
happens in one transaction: the order, the appointment, its reservations, its log row, its
reminder plan and its SIU message commit together or not at all. Where a galactogram fits is
radiology.services.slots; the database's exclusion constraint has the last word.
"""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone

from notifications.opt_out import opted_out_expression, opted_out_sql, remember_opt_out
from procedures.models import Procedure
from radiology.errors import ServiceRefusal
from radiology.models import (
    ACTIVE_STATES,
    UPCOMING,
    Appointment,
    AppointmentStatus,
    AppointmentTransition,
    Order,
    Patient,
    Room,
    StaffMember,
)
from radiology.services import hl7_events, invitation_steps, order_lifecycle, order_opening, rebooking, reminders
from radiology.services.action_table import ACTIONS
from radiology.services.slots import fit_team, patient_clash, room_has_unit, taken
from radiology.services.transitions import check_permission
from scheduling import services as calendar

BOOKING = ACTIONS["book"]


def _invalid(field: str, message: str) -> ServiceRefusal:
    return ServiceRefusal(message, code="invalid", fields={field: message})


def check_request(*, procedure, start, duration_minutes, room, radiologist, technologist, override, now):
    """The rules of a wanted start, length and team, before any calendar is read (book and move)."""
    if start is None or timezone.is_naive(start):
        raise _invalid("start", "Give the start time with its time zone (e.g. 2026-12-01T09:00:00-05:00).")
    if duration_minutes not in procedure.allowed_durations:
        allowed = " or ".join(str(d) for d in procedure.allowed_durations)
        raise _invalid("duration", f"A {procedure.name} takes {allowed} minutes.")
    if start <= now:
        raise _invalid("start", "That time is in the past. Choose a time from now on.")
    if start - now < timedelta(hours=procedure.min_lead_time_hours) and not override.strip():
        raise _invalid(
            "lead_time_override_reason",
            f"This is less than {procedure.min_lead_time_hours} hours away, so the patient cannot keep the "
            "no-expression window. Give a reason to book it anyway.",
        )
    if room is not None and not room_has_unit(room, procedure):
        raise _invalid("room", f"{room.name} has no {procedure.room_capability} unit.")
    if radiologist is not None and radiologist.role != StaffMember.Role.RADIOLOGIST:
        raise _invalid("radiologist", f"{radiologist.name} is not a radiologist.")
    if technologist is not None and technologist.role not in StaffMember.ASSISTING_ROLES:
        raise _invalid("technologist", f"{technologist.name} is not a technologist or nurse.")


# What choosing among her waiting orders needs; the one chosen is read whole, and locked, by
# order_lifecycle.check_bookable.
# (In the model's field order: from_db expects the values so.)
_ORDER_CHOICE = [
    f.attname for f in Order._meta.concrete_fields if f.attname in {"id", "side", "accession_number", "received_at"}
]
_LIVE = [f.attname for f in Appointment._meta.concrete_fields if f.attname in {"id", "start", "end", "status"}]
_HER = [f.attname for f in Patient._meta.concrete_fields]


def _lock_her(patient_id: int, procedure, *, since, with_waiting_orders: bool):
    """Lock her row (bookings of one patient one at a time, so two clerks cannot double-book
    her) and read, in the same round trip, the row itself (whole, with whether her number
    replied STOP, for the reminders), her live appointments ending after `since` and, when
    asked, her waiting orders of this procedure: (her, appointments, orders), her None when
    there is no such patient, the others by start or by age, with the few fields choosing
    needs. One query of LEFT JOINs: she has a handful of each, so the rows they multiply
    into stay a handful."""
    read = _her_rows_postgres if connection.vendor == "postgresql" else _her_rows_portable
    rows = read(patient_id, procedure, since=since, with_waiting_orders=with_waiting_orders)
    patient, appointments, orders = None, {}, {}
    live, waiting = len(_HER) + 1, len(_HER) + 1 + len(_LIVE)
    for row in rows:
        if patient is None:
            patient = Patient.from_db(connection.alias, _HER, row[: len(_HER)])
            remember_opt_out(patient, row[len(_HER)])
        if row[live] is not None:
            appointments[row[live]] = Appointment.from_db(connection.alias, _LIVE, row[live:waiting])
        if with_waiting_orders and row[waiting] is not None:
            orders[row[waiting]] = Order.from_db(connection.alias, _ORDER_CHOICE, row[waiting:])
    ordered = sorted(orders.values(), key=lambda o: (o.received_at, o.pk))
    return patient, sorted(appointments.values(), key=lambda a: (a.start, a.pk)), ordered


def _her_rows_portable(patient_id: int, procedure, *, since, with_waiting_orders: bool):
    """_lock_her's rows through the ORM (SQLite; tests hold the two equal on PostgreSQL):
    her fields, whether her number is opted out, then a live appointment's and a waiting
    order's fields or NULLs."""
    her = Patient.objects.filter(pk=patient_id).select_for_update(of=("self",))
    live = FilteredRelation("appointments", condition=_live_since(since))
    her = her.annotate(stopped=opted_out_expression(), live=live)
    fields = [*_HER, "stopped", *(f"live__{name}" for name in _LIVE)]
    if with_waiting_orders:
        waiting = Q(orders__status=Order.Status.WAITING, orders__procedure=procedure)
        her = her.annotate(waiting=FilteredRelation("orders", condition=waiting))
        fields += [f"waiting__{name}" for name in _ORDER_CHOICE]
    return her.order_by().values_list(*fields)


# PostgreSQL, written out: every booking runs it, and building it through the ORM (thirty-odd
# fields through two filtered relations) took 2-3 ms, longer than running it. The same
# columns as _her_rows_portable; one text per variant, so psycopg prepares each.
def _columns(model, alias: str, attnames) -> str:
    return ", ".join(f'{alias}."{model._meta.get_field(name).column}"' for name in attnames)


_HER_SQL = f"""
SELECT {_columns(Patient, "p", _HER)}, {opted_out_sql('p."phone"')}, {_columns(Appointment, "live", _LIVE)}{{waiting}}
  FROM {Patient._meta.db_table} p
  LEFT JOIN {Appointment._meta.db_table} live ON live."patient_id" = p."id"
   AND live."end" > %(since)s AND live."status" = ANY(%(live_states)s)
{{join}} WHERE p."id" = %(patient)s FOR UPDATE OF p
"""  # noqa: S608 - our own table and column names; the values are bound
_HER_SQL_ALONE = _HER_SQL.format(waiting="", join="")
_HER_SQL_WITH_ORDERS = _HER_SQL.format(
    waiting=f", {_columns(Order, 'waiting', _ORDER_CHOICE)}",
    join=f"""  LEFT JOIN {Order._meta.db_table} waiting ON waiting."patient_id" = p."id"
   AND waiting."procedure_id" = %(procedure)s AND waiting."status" = %(waiting)s
""",  # noqa: S608 - our own names
)


def _her_rows_postgres(patient_id: int, procedure, *, since, with_waiting_orders: bool):
    params = {
        "patient": patient_id,
        "since": since,
        "live_states": [str(state) for state in ACTIVE_STATES],
        "procedure": getattr(procedure, "pk", procedure),
        "waiting": str(Order.Status.WAITING),
    }
    with connection.cursor() as cursor:
        cursor.execute(_HER_SQL_WITH_ORDERS if with_waiting_orders else _HER_SQL_ALONE, params)
        return cursor.fetchall()


def _live_since(since):
    return Q(appointments__status__in=ACTIVE_STATES, appointments__end__gt=since)


def _check_her_other_appointments(patient, others, *, start, end, now, reason: str) -> None:
    """Her other appointments (read with her lock): none may overlap the new one
    (slots.patient_clash), and two galactograms ahead are usually a mistake (a referral booked
    twice), so another one ahead is refused unless the scheduler says why, naming the one she has."""
    ahead_states = [*UPCOMING, AppointmentStatus.CHECKED_IN]
    patient_clash(patient, start, end, [(a.start, a.end) for a in others])
    if reason.strip():
        return
    ahead = next((a for a in others if a.status in ahead_states and a.end > now), None)
    if ahead is not None:
        message = (
            f"{patient.full_name} already has a galactogram on {ahead.local_start:%a %d %b %Y %H:%M} "
            f"(appointment #{ahead.pk}). Move that one instead, or give a reason to book another."
        )
        raise ServiceRefusal(message, code="invalid", fields={"repeat_booking_reason": message})


def book_appointment(
    *,
    patient: Patient | int,
    procedure: Procedure,
    start: datetime,
    duration_minutes: int,
    actor,
    room: Room | None = None,
    radiologist: StaffMember | None = None,
    technologist: StaffMember | None = None,
    lead_time_override_reason: str = "",
    repeat_booking_reason: str = "",
    now: datetime | None = None,
    order: Order | None = None,
    side: str = "",
    indication: str = "",
    indication_other: str = "",
) -> Appointment:
    """Book a galactogram: all three resources held together or nothing written. It is
    booked from a waiting `order` of this patient; without one, her waiting order of this
    procedure is taken (of several, the scheduler chooses), and only when she has none is an
    order created from what the scheduler entered (side, indication), so every appointment
    has an accession number and a Study Instance UID. A patient who already has a galactogram ahead is booked
    again only with a `repeat_booking_reason` (the existing one is named in the refusal).
    `patient` may be her id alone: she is read, whole, under the booking's lock (the
    appointment returned carries that row), and an id of no one is refused as the field's."""
    check_permission(actor, BOOKING)
    now = now or timezone.now()
    new_order = {"side": side, "indication": indication, "indication_other": indication_other.strip()}
    if order is None:
        order_lifecycle.check_clinical_facts(**new_order)
    check_request(
        procedure=procedure,
        start=start,
        duration_minutes=duration_minutes,
        room=room,
        radiologist=radiologist,
        technologist=technologist,
        override=lead_time_override_reason,
        now=now,
    )
    # When the scheduler left the room or people open, a rival may take the one we picked
    # between our fit and our reservation (the exclusion constraint refuses the loser's
    # rows): try again, and the fit, seeing the rival's booking, picks the next free team.
    attempts = 1 if (room and radiologist and technologist) else 3
    for attempt in range(attempts):
        try:
            return _book_once(
                patient=patient,
                procedure=procedure,
                start=start,
                duration_minutes=duration_minutes,
                actor=actor,
                room=room,
                radiologist=radiologist,
                technologist=technologist,
                lead_time_override_reason=lead_time_override_reason,
                repeat_booking_reason=repeat_booking_reason,
                now=now,
                order=order,
                new_order=new_order,
            )
        except calendar.SlotTaken:
            if attempt == attempts - 1:
                raise taken(procedure, duration_minutes, start, patient) from None
    raise AssertionError("unreachable")


def _book_once(
    *,
    patient,
    procedure,
    start,
    duration_minutes,
    actor,
    room,
    radiologist,
    technologist,
    lead_time_override_reason,
    repeat_booking_reason,
    now,
    order,
    new_order,
) -> Appointment:
    with transaction.atomic():
        end = start + timedelta(minutes=duration_minutes)
        patient_id = patient if isinstance(patient, int) else patient.pk
        patient, others, waiting = _lock_her(
            patient_id, procedure, since=min(start, now), with_waiting_orders=order is None
        )
        if patient is None:
            raise _invalid("patient", f"There is no patient with id {patient_id}.")
        if order is None:
            order = _her_waiting_order(patient, waiting, side=new_order["side"])
        if order is not None:
            order = order_lifecycle.check_bookable(order=order, patient=patient, procedure=procedure)
        _check_her_other_appointments(patient, others, start=start, end=end, now=now, reason=repeat_booking_reason)
        team = fit_team(
            procedure, start, duration_minutes, room=room, radiologist=radiologist, technologist=technologist
        )
        existing_order = order is not None
        if order is None:
            # Born scheduled: it is booked in this same transaction (no second write to say so).
            order = order_opening.open_order(
                now=now,
                patient=patient,
                procedure=procedure,
                created_by=actor,
                status=Order.Status.SCHEDULED,
                **new_order,
            )
        appointment = Appointment.objects.create(
            order=order,
            patient=patient,
            procedure=procedure,
            start=start,
            end=end,
            duration_minutes=duration_minutes,
            room=team.option.room,
            radiologist=team.option.radiologist,
            technologist=team.option.technologist,
            lead_time_override_reason=lead_time_override_reason.strip(),
            repeat_booking_reason=repeat_booking_reason.strip(),
            booked_by=actor,
        )
        calendar.reserve(holds=team.holds, holder=appointment.holder, expired_hold_in_way=team.expired_hold_in_way)
        order_lifecycle.follow_appointment(appointment=appointment)
        logged = log_unchanged_state(appointment, "book", actor, now, _booking_note(appointment))
        planned = reminders.on_booked(appointment=appointment, now=now, created_now=True)
        hl7_events.on_booked(appointment=appointment, actor=actor, now=now)
        if existing_order:  # an order opened just now has no missed visit to rebook, no invitation
            rebooking.on_order_booked(appointment=appointment, actor=actor, now=now)
            invitation_steps.on_order_booked(appointment=appointment, now=now)
        else:
            # Nothing else plans messages for a new order's appointment: these are all it has,
            # and whoever shows it (the API's 201) lists them without reading them back.
            appointment.planned_messages = sorted(planned, key=lambda m: m.due_at)
    # Its whole history is the row just written: whoever shows the new appointment (the API's
    # 201) reads it from here instead of reading the appointment back (a 13-table join).
    history = AppointmentTransition.objects.filter(appointment=appointment)
    history._result_cache, history._prefetch_done = [logged], True  # as prefetch_related fills it
    appointment._prefetched_objects_cache = {"transitions": history}
    return appointment


def waiting_orders(patient, procedure=None) -> list[Order]:
    """Her orders still waiting to be booked, oldest first (what a booking offers before a new one)."""
    orders = Order.objects.filter(patient=patient, status=Order.Status.WAITING).select_related("procedure")
    if procedure is not None:
        orders = orders.filter(procedure=procedure)
    return list(orders.order_by("received_at", "pk"))


def _her_waiting_order(patient, waiting: list[Order], *, side: str) -> Order | None:
    """A booking without an order books her waiting order of this procedure rather than making
    another: the EHR's order keeps its accession and placer numbers and leaves the queue. One
    that fits (the side asked for, or any side when none was) is taken; of several the
    scheduler must choose, so the refusal names them; none that fits makes a new order."""
    fitting = [o for o in waiting if not side or o.side in (side, "")]
    if len(fitting) <= 1:
        return fitting[0] if fitting else None
    names = ", ".join(o.accession_number for o in fitting)
    message = f"{patient.full_name} has {len(fitting)} waiting orders ({names}): choose the order to book."
    raise ServiceRefusal(message, code="invalid", fields={"order": message})


def log_unchanged_state(appointment, action, actor, now, note):
    """The log row of a change that keeps the state (a booking, a move that needs no step back)."""
    status = appointment.status
    return AppointmentTransition.objects.create(
        appointment=appointment, action=action, from_status=status, to_status=status, actor=actor, at=now, note=note
    )


def _booking_note(appointment) -> str:
    note = f"Booked for {appointment.local_start:%a %d %b %Y %H:%M}, {appointment.duration_minutes} min"
    if appointment.lead_time_override_reason:
        note += f"; short notice: {appointment.lead_time_override_reason}"
    if appointment.repeat_booking_reason:
        note += f"; another galactogram already booked: {appointment.repeat_booking_reason}"
    return note

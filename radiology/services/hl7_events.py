"""HL7 v2 events to the EHR: which change is which message, planned as outbox rows.

Called by the booking, workflow and report services inside their transaction (the row they
change created or locked), so a message commits or rolls back with the change that caused it.
Four kinds, each switched on by its name in HL7_OUT_MESSAGES ("siu,orm,oru,dft" by default), and
all only while HL7_OUT_HOST/HL7_OUT_PORT are set:

- siu: the appointment's SIU (encoders/siu.py). Which trigger event, SCH-6 reason and SCH-25
  status each change is told as is the told table's (services/told_table.py): booked S12; moved
  S13 and re-staffed S14 (told apart here, from what the EHR last heard; a re-staffing without a
  move, services/restaffing.py, is S14 through on_restaffed); cancelled and did not
  proceed S15 with the coded reason; no-show S26; aborted S14 with filler status Dc.
- orm: the order's status (IHE RAD-3, encoders/order_status.py; ORM^O01 2.3.1 or OMG^O19 2.5.1
  as HL7_ORDER_STATUS_VERSION says) with ORC-5 the told table's `order_status` of the event,
  sent only when it differs from the last order status planned for that order (a move or a
  check-in keeps SC: no second SC; a re-booking after a cancellation is SC again).
- oru: each report version (preliminary P, final F) and each signed addendum (C) once
  (encoders/oru.py).
- dft: the charges when the outcome is recorded; a correction that changes the codes is a
  credit of the old codes and a charge of the new ones (encoders/dft.py).

Each row:
- is rendered now (the message describes the record as the change left it) and carries its
  control id (MSH-10) in the payload, so a retry resends the same bytes and the receiver can
  recognise a duplicate;
- has an idempotency key that names what it tells, at most one row each however often a plan
  is made: siu:<appointment>:v<version>:<event> (a re-staffing adds :r<n>),
  orm:<order>:a<appointment>:v<version>:<status>,
  oru:<report>:v<version> or oru:<report>:a<addendum number>, dft:<appointment>:c<n>:<CG|CD>
  (n: the how-manieth recording of the outcome);
- has the order key order:<order>: the outbox claims a row only when every earlier row of that
  order is sent, failed, skipped or cancelled, so the EHR never hears of a cancellation before
  the booking, of a re-booking before the cancellation, or of a report before the exam;
- SIU rows keep in `meta` the time, room and people they announced, so a later reschedule can
  tell a move (S13) from a change of resources (S14); order-status rows keep the status.
Subjects: siu:<appointment>, oru:<appointment>, dft:<appointment> (the problems page links the
appointment) and orm:<order> (it links the order).
"""

import hashlib
from datetime import UTC

from django.conf import settings
from django.urls import reverse

from notifications import services as outbox
from notifications.models import Message
from radiology.encoders.dft import CHARGE, CREDIT, build_dft
from radiology.encoders.order_status import build_order_status
from radiology.encoders.oru import build_oru, result_status
from radiology.encoders.siu import build_siu
from radiology.models import Appointment, Report
from radiology.services.told_table import EVENTS, Event, EventTold, siu_reason

PREFIX = "siu"
ORDER_STATUS, REPORT, CHARGES = "orm", "oru", "dft"
KINDS = (PREFIX, ORDER_STATUS, REPORT, CHARGES)
# How the rows read on staff pages (the problems page); SIU rows keep their slug ("Siu s12").
KIND_LABELS = {
    "orm_o01": "Order status (ORM^O01)",
    "omg_o19": "Order status (OMG^O19)",
    "oru_r01": "Report (ORU^R01)",
    "dft_p03": "Charges (DFT^P03)",
}
# The statuses an order-status message carries its reason with (ORC-16).
ENDED = ("CA", "DC")


def enabled(kind: str = PREFIX) -> bool:
    """An EHR endpoint is configured and this kind of message (siu, orm, oru, dft) is on."""
    return bool(settings.HL7_OUT_HOST and settings.HL7_OUT_PORT) and kind in settings.HL7_OUT_MESSAGES


def subject_of(appointment_id: int) -> str:
    return f"{PREFIX}:{appointment_id}"


def order_key_of(order_id: int) -> str:
    """Every HL7 message about one order (its appointments' SIU, its status, report, charges)
    goes out in the order it was planned."""
    return f"order:{order_id}"


def control_id_for(idempotency_key: str) -> str:
    """MSH-10: 20 characters (the field's length in v2.5.1), unique because the key is, and the
    same on every attempt at the same event."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:20].upper()


def _snapshot(appointment: Appointment) -> dict:
    # In UTC: the same instant must compare equal whatever zone the datetime was given in.
    return {
        "start": appointment.start.astimezone(UTC).isoformat(),
        "end": appointment.end.astimezone(UTC).isoformat(),
        "room": appointment.room_id,
        "radiologist": appointment.radiologist_id,
        "technologist": appointment.technologist_id,
    }


def _loaded(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_related(
        "patient", "order", "procedure", "room", "radiologist__user", "technologist__user", "booked_by"
    ).get(pk=appointment.pk)


def _schedule(*, subject, version, kind, key, order_id, payload, meta, now, control_id) -> None:
    outbox.schedule_messages(
        messages=[
            Message(
                subject=subject,
                subject_version=version,
                audience=Message.Audience.SYSTEM,
                recipient=f"{settings.HL7_OUT_HOST}:{settings.HL7_OUT_PORT}",
                channel=Message.Channel.HL7,
                kind=kind,
                context={"payload": payload, "control_id": control_id},
                meta=meta,
                due_at=now,
                order_key=order_key_of(order_id),
                idempotency_key=key,
            )
        ]
    )


def _plan(appointment: Appointment, *, event: Event, actor, now, key_suffix: str = "") -> None:
    """The event's SIU (when the table gives it one) and the order's status (when it changed)."""
    told = EVENTS[event]
    if told.siu is not None and enabled(PREFIX):
        appointment = _loaded(appointment)
        key = f"{subject_of(appointment.pk)}:v{appointment.version}:{event}{key_suffix}"
        control_id = control_id_for(key)
        payload = build_siu(
            appointment=appointment,
            trigger=told.siu,
            reason=siu_reason(told, appointment),
            filler_status=told.filler_status,
            control_id=control_id,
            actor=actor,
            now=now,
        )
        _schedule(
            subject=subject_of(appointment.pk),
            version=appointment.version,
            kind=f"siu_{told.siu.lower()}",
            key=key,
            order_id=appointment.order_id,
            payload=payload,
            meta=_snapshot(appointment),
            now=now,
            control_id=control_id,
        )
    _plan_order_status(appointment, told=told, actor=actor, now=now)


# --- order status (IHE RAD-3) ---------------------------------------------------------------


def order_subject(order_id: int) -> str:
    return f"{ORDER_STATUS}:{order_id}"


def last_order_status(order_id: int) -> str | None:
    """The ORC-5 of the last order-status row planned for the order (withdrawn rows aside)."""
    meta = (
        Message.objects.filter(subject=order_subject(order_id), channel=Message.Channel.HL7)
        .exclude(status=Message.Status.CANCELLED)
        .order_by("-pk")
        .values_list("meta", flat=True)
        .first()
    )
    return (meta or {}).get("status")


def order_reason(told: EventTold, appointment: Appointment) -> tuple[str, str, str] | None:
    """ORC-16 of a cancellation, did not proceed, no-show or abort: the appointment's coded
    reason as SCH-6 gives it, or the event itself in a local table."""
    if told.order_status not in ENDED:
        return None
    reason = siu_reason(told, appointment)
    if reason[2] == "L":
        return str(told.event), told.siu_text, "L"
    return reason


def _plan_order_status(appointment: Appointment, *, told: EventTold, actor, now) -> None:
    _plan_status(
        appointment,
        status=told.order_status,
        reason=order_reason(told, appointment),
        event=str(told.event),
        actor=actor,
        now=now,
    )


# ORC-16 when the rebooking loop gives up: a local table of one (HL7 table 0396's 99zzz form).
NOT_REBOOKED = ("not_rebooked", "Not rebooked after a missed visit: the patient could not be reached", "99GRB")


def on_order_flagged_to_referrer(*, appointment, now) -> None:
    """The rebooking loop's last step (radiology.services.rebooking): the order goes on hold
    (ORC-5 HD) with the reason, so that the referring physician's EHR shows it waits on her."""
    _plan_status(appointment, status="HD", reason=NOT_REBOOKED, event="flagged_to_referrer", actor=None, now=now)


def _plan_status(appointment: Appointment, *, status: str, reason, event: str, actor, now) -> None:
    if not enabled(ORDER_STATUS):
        return
    if last_order_status(appointment.order_id) == status:
        return  # a move, a re-staffing, a check-in: the order is still SC
    appointment = _loaded(appointment)
    key = f"{order_subject(appointment.order_id)}:a{appointment.pk}:v{appointment.version}:{status}"
    control_id = control_id_for(key)
    version = settings.HL7_ORDER_STATUS_VERSION
    payload = build_order_status(
        appointment=appointment,
        status=status,
        reason=reason,
        version=version,
        control_id=control_id,
        actor=actor,
        now=now,
    )
    _schedule(
        subject=order_subject(appointment.order_id),
        version=appointment.version,
        kind="orm_o01" if version == "2.3.1" else "omg_o19",
        key=key,
        order_id=appointment.order_id,
        payload=payload,
        meta={"status": status, "appointment": appointment.pk, "event": event},
        now=now,
        control_id=control_id,
    )


# --- the hooks the services call -------------------------------------------------------------


def on_booked(*, appointment, actor, now) -> None:
    _plan(appointment, event=Event.BOOKED, actor=actor, now=now)


def on_rescheduled(*, appointment, previous_start, actor, now) -> None:
    """Moved when the time changed, re-staffed when only the room or people changed, nothing
    when the appointment is as the EHR last heard it."""
    if not enabled(PREFIX) and not enabled(ORDER_STATUS):
        return
    last = (
        Message.objects.filter(subject=subject_of(appointment.pk), channel=Message.Channel.HL7)
        .exclude(status=Message.Status.CANCELLED)
        .order_by("-pk")
        .values_list("meta", flat=True)
        .first()
    )
    now_is = _snapshot(appointment)
    # Without an earlier message (HL7 was switched on after the booking) only the time is known.
    was = last or {**now_is, "start": previous_start.astimezone(UTC).isoformat(), "room": None}
    if (was["start"], was["end"]) != (now_is["start"], now_is["end"]):
        event = Event.MOVED
    elif was != now_is:
        event = Event.RESTAFFED
    else:
        return
    _plan(appointment, event=event, actor=actor, now=now)


def on_restaffed(*, appointment, number: int, actor, now) -> None:
    """Other people at the same time (services/restaffing.py): S14 with the new AIP/AIG. The
    time is unchanged, so the version is too; `number` (the appointment's how-manieth
    re-staffing) keeps a second one at the same version its own message."""
    _plan(appointment, event=Event.RESTAFFED, actor=actor, now=now, key_suffix=f":r{number}")


def on_cancelled(*, appointment, actor, now) -> None:
    _plan(appointment, event=Event.CANCELLED, actor=actor, now=now)


def on_no_show(*, appointment, actor, now) -> None:
    _plan(appointment, event=Event.NO_SHOW, actor=actor, now=now)


def on_started(*, appointment, actor, now) -> None:
    """The exam began: no SIU; the order is in process (IP)."""
    _plan(appointment, event=Event.STARTED, actor=actor, now=now)


def on_performed(*, appointment, actor, now) -> None:
    """The exam is done: no SIU (the order status says it: CM)."""
    _plan(appointment, event=Event.PERFORMED, actor=actor, now=now)


def on_ended_early(*, appointment, event: Event, actor, now) -> None:
    """Did not proceed or aborted, decided at the day list: told as the table says."""
    _plan(appointment, event=event, actor=actor, now=now)


# --- the report (ORU^R01) ----------------------------------------------------------------------


def on_report(*, report, addendum=None, actor, now) -> None:
    """A report version was saved (preliminary P, final F) or an addendum signed (C: the final
    text with its addenda up to this one): the EHR gets its ORU^R01, once per version or
    addendum."""
    if not enabled(REPORT):
        return
    report = Report.objects.select_related(
        "appointment__patient",
        "appointment__order",
        "appointment__procedure",
        "radiologist__user",
        "signed_by__user",
    ).get(pk=report.pk)
    if addendum is not None:
        addenda = list(report.addenda.filter(number__lte=addendum.number).select_related("signed_by__user"))
        key = f"{REPORT}:{report.pk}:a{addendum.number}"
    else:
        addenda = []
        key = f"{REPORT}:{report.pk}:v{report.version}"
    control_id = control_id_for(key)
    status = result_status(report, addendum)
    appointment = report.appointment
    _schedule(
        subject=f"{REPORT}:{appointment.pk}",
        version=report.version,
        kind="oru_r01",
        key=key,
        order_id=appointment.order_id,
        payload=build_oru(report=report, addenda=addenda, status=status, control_id=control_id, now=now),
        meta={"report": report.pk, "version": report.version, "status": status},
        now=now,
        control_id=control_id,
    )


# --- the charges (DFT^P03) ---------------------------------------------------------------------


def charge_codes(outcome) -> list[str]:
    """The CPT codes an outcome is charged with: the injection and the imaging (one duct or several)."""
    return [code for code in (outcome.injection_cpt, outcome.imaging_cpt) if code]


def _plan_dft(appointment, *, outcome, codes, transaction_type, charge_number, actor, now) -> None:
    appointment = _loaded(appointment)
    key = f"{CHARGES}:{appointment.pk}:c{charge_number}:{transaction_type}"
    control_id = control_id_for(key)
    payload = build_dft(
        appointment=appointment,
        codes=codes,
        transaction_type=transaction_type,
        charge_number=charge_number,
        performing=outcome.performing_radiologist,
        control_id=control_id,
        actor=actor,
        now=now,
    )
    _schedule(
        subject=f"{CHARGES}:{appointment.pk}",
        version=charge_number,
        kind="dft_p03",
        key=key,
        order_id=appointment.order_id,
        payload=payload,
        meta={"codes": codes, "type": transaction_type, "charge": charge_number},
        now=now,
        control_id=control_id,
    )


def on_outcome_recorded(*, appointment, outcome, actor, now) -> None:
    """The outcome is recorded: the charge for its codes (19030 and 77053 or 77054)."""
    if enabled(CHARGES):
        _plan_dft(
            appointment,
            outcome=outcome,
            codes=charge_codes(outcome),
            transaction_type=CHARGE,
            charge_number=1,
            actor=actor,
            now=now,
        )


def on_outcome_corrected(*, appointment, outcome, old_codes, charge_number, actor, now) -> None:
    """A correction changed the codes: a credit (CD) of the codes charged before, then the
    charge (CG) of the new ones, never a second charge beside the first. A correction that
    keeps the codes sends nothing."""
    new_codes = charge_codes(outcome)
    if not enabled(CHARGES) or new_codes == old_codes:
        return
    for codes, transaction_type in ((old_codes, CREDIT), (new_codes, CHARGE)):
        _plan_dft(
            appointment,
            outcome=outcome,
            codes=codes,
            transaction_type=transaction_type,
            charge_number=charge_number,
            actor=actor,
            now=now,
        )


def subject_link(subject: str) -> str | None:
    """The staff page about an HL7 row's subject (for /messages/problems/): the order of an
    order-status row, the appointment of the others."""
    prefix, _, pk = subject.partition(":")
    if prefix == ORDER_STATUS:
        return reverse("radiology:order_detail", args=[int(pk)])
    return reverse("radiology:appointment_detail", args=[int(pk)])

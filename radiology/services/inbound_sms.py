"""A text a patient sent us (issue 21 A): stored once, matched to her by her number, read for
a keyword, acted on through the same services as her link, answered once through the outbox.

The rules, in one place:
- stored once per provider message id (the database's unique constraint): a gateway's retry
  or a replay changes nothing and is not answered again;
- matched only when exactly one patient has the number (E.164, radiology.contact); a number
  nobody has is stored for the inbox and never matched by a guess;
- C / CONFIRM / SÍ confirms her next appointment (portal.confirm_attendance, as her link); a
  number several patients share (a parent's phone) never confirms blindly: with more than one
  appointment ahead among them the reply asks which, by date ("C1 for 3 Feb…");
- R / RESCHEDULE / CAMBIAR asks for another time (portal.request_another_time: the to-do, as
  her link) and the reply carries her link; on a shared number it goes to the inbox;
- STOP, BAJA and the carriers' opt-out words stop every text to the number (notifications
  opt_out, checked again by the outbox at send time) until START / UNSTOP / ALTA; her pending
  messages move to e-mail if she has one, else the to-do lists her to call;
- HELP / AYUDA answers with the department's number; anything else waits on the staff inbox;
- each reply is one outbox row keyed by the inbound message (at most one per message), in her
  language, with no health information: a date, a time, a place, a link, the clinic's number.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from notifications import opt_out
from notifications import services as outbox
from notifications.models import Message
from notifications.services import DESPITE_OPT_OUT
from radiology.contact import read_phone
from radiology.errors import ServiceRefusal
from radiology.models import UPCOMING, Appointment, InboundSms, Patient
from radiology.services import portal, reminders, sms_keywords
from radiology.services.patient_links import patient_link

K = InboundSms.Keyword
OUT = InboundSms.Outcome
# A shared number is asked about at most this many appointments (C1…C5).
MAX_CHOICES = 5


def receive_sms(*, provider: str, provider_message_id: str, sender: str, to: str, body: str, now) -> InboundSms:
    """Store, read and act on one inbound text, or return the one already stored under this
    provider id (nothing is done twice). The text is acted on and stored in one transaction:
    a second copy of it (a gateway's retry, at the same moment or later) fails the unique
    insert, and its whole transaction, what it did included, rolls back."""
    number, as_sent = read_phone(sender)
    reading = sms_keywords.read(body)
    key = provider_message_id[:100]
    try:
        with transaction.atomic():
            inbound = InboundSms(
                provider=provider,
                provider_message_id=key,
                from_number=(number or as_sent)[:32],
                to_number=str(to or "")[:32],
                body=str(body or "")[:1600],
                received_at=now,
                keyword=reading.keyword,
                outcome=OUT.INBOX,
            )
            patients = list(_patients_with(number))
            if len(patients) == 1:
                inbound.patient = patients[0]
            reply = _act(inbound, reading, patients, number=number, now=now)
            inbound.save()
            if reply is not None and number:
                kind, context, meta = reply
                language = patients[0].language if patients else (reading.language or "en")
                _plan_reply(inbound, kind=kind, language=language, context=context, meta=meta, now=now)
    except IntegrityError:
        stored = InboundSms.objects.filter(provider=provider, provider_message_id=key).first()
        if stored is None:
            raise
        return stored
    return inbound


def _patients_with(number: str):
    if not number:
        return Patient.objects.none()
    return Patient.objects.filter(phone=number, merged_into__isnull=True, deceased=False).order_by("pk")


def _ahead(patients, now):
    return (
        Appointment.objects.filter(patient__in=patients, status__in=UPCOMING, start__gt=now)
        .select_related("patient", "room")
        .order_by("start", "pk")
    )


def _act(inbound: InboundSms, reading, patients, *, number: str, now):
    """Do what the text asks; set its outcome; return the reply (kind, context, meta) or None."""
    clinic = {"clinic_name": settings.CLINIC_NAME, "clinic_phone": settings.CLINIC_PHONE}
    keyword = reading.keyword
    if keyword == K.STOP:
        inbound.outcome = OUT.OPTED_OUT
        opt_out.opt_out(
            number=inbound.from_number, now=now, source=f"{inbound.provider} text {inbound.provider_message_id}"[:100]
        )
        for patient in patients:
            reminders.on_contact_changed(patient=patient, now=now)
        # Twilio answers its opt-out words itself (and refuses to text the number after them).
        if inbound.provider == InboundSms.Provider.TWILIO:
            return None
        return "sms_stopped", clinic, {DESPITE_OPT_OUT: True}
    if keyword == K.START:
        inbound.outcome = OUT.OPTED_IN
        opt_out.opt_in(number=inbound.from_number)
        for patient in patients:
            reminders.on_contact_changed(patient=patient, now=now)
        return "sms_started", clinic, {}
    if keyword == K.HELP:
        inbound.outcome = OUT.HELPED
        return "sms_help", clinic, {}
    if not patients or keyword == K.OTHER:
        # A number nobody has: kept for a person, never matched by a guess and never answered
        # with anything about an appointment.
        inbound.outcome = OUT.INBOX
        return ("sms_received", clinic, {}) if patients else None
    if keyword == K.CHOICE:
        return _confirm_choice(inbound, reading.choice, patients, clinic=clinic, now=now)
    ahead = list(_ahead(patients, now)[: MAX_CHOICES + 1])
    if not ahead:
        inbound.outcome = OUT.NOTHING_AHEAD
        return "sms_nothing_ahead", clinic, {}
    if keyword == K.CONFIRM:
        if len(patients) > 1 and len(ahead) > 1:
            return _ask_which(inbound, ahead[:MAX_CHOICES], clinic=clinic)
        return _confirm(inbound, ahead[0], clinic=clinic, now=now)
    # Another time.
    if len(patients) > 1:
        inbound.outcome = OUT.INBOX  # whose? a person calls the number
        return "sms_received", clinic, {}
    appointment = ahead[0]
    portal.request_another_time(appointment_id=appointment.pk, now=now)
    inbound.outcome, inbound.appointment = OUT.ASKED_ANOTHER_TIME, appointment
    return "sms_another_time", clinic, {"appointment_id": appointment.pk}


def _confirm(inbound, appointment, *, clinic, now):
    portal.confirm_attendance(appointment_id=appointment.pk, now=now)
    inbound.outcome, inbound.appointment = OUT.CONFIRMED, appointment
    return "sms_confirmed", {**clinic, **_when_and_where(appointment)}, {}


def _ask_which(inbound, ahead, *, clinic):
    inbound.outcome = OUT.ASKED_WHICH
    inbound.choices = [appointment.pk for appointment in ahead]
    # Dates and times only: a shared phone is read by others than the patient.
    options = [{"n": n, "start_at": a.start.isoformat()} for n, a in enumerate(ahead, start=1)]
    return "sms_which", {**clinic, "tz": settings.CLINIC_TIME_ZONE, "options": options}, {}


def _confirm_choice(inbound, choice, patients, *, clinic, now):
    """C2 answers the latest "which appointment?" sent to this number, while it is fresh."""
    asked = (
        InboundSms.objects.filter(
            from_number=inbound.from_number,
            outcome=OUT.ASKED_WHICH,
            received_at__gte=now - timedelta(hours=settings.SMS_CHOICE_VALID_HOURS),
        )
        .order_by("-received_at", "-pk")
        .first()
    )
    chosen = asked.choices[choice - 1] if asked and choice <= len(asked.choices) else None
    appointment = _ahead(patients, now).filter(pk=chosen).first() if chosen else None
    if appointment is None:
        inbound.outcome = OUT.NOTHING_AHEAD
        return "sms_nothing_ahead", clinic, {}
    return _confirm(inbound, appointment, clinic=clinic, now=now)


def _when_and_where(appointment) -> dict:
    context = reminders.patient_context(appointment)
    return {key: context[key] for key in ("first_name", "start_at", "tz", "place")}


def _plan_reply(inbound, *, kind, language, context, meta, now, key_suffix="reply") -> None:
    """One outbox row per inbound message and reply: its idempotency key is unique."""
    outbox.schedule_messages(
        messages=[
            Message(
                subject=inbound.reference,
                audience=Message.Audience.PATIENT,
                recipient=inbound.from_number,
                channel=Message.Channel.SMS,
                kind=kind,
                language=language,
                context=context,
                meta=meta,
                due_at=now,
                # An answer to a text she has just sent: not held back to the morning.
                quiet_hours=False,
                expires_at=now + timedelta(days=1),
                idempotency_key=f"{inbound.reference}:{key_suffix}",
            )
        ]
    )


def message_context(message) -> dict:
    """A reply that carries her link signs it when it is sent (as every patient message)."""
    appointment_id = message.meta.get("appointment_id")
    return {"link": patient_link(appointment_id)} if appointment_id else {}


# --- the staff inbox ----------------------------------------------------------------------


def _check_staff(actor) -> None:
    if actor is None or not actor.has_perm("radiology.book_appointment"):
        raise ServiceRefusal("Your role does not allow answering patients' texts.", code="forbidden")


def reply_from_staff(*, inbound_id: int, actor, text: str, now) -> Message:
    """A scheduler answers a text from the inbox: one outbox row (by SMS, to the number it came
    from, as any message: refused at send time if the number replied STOP since); answering
    takes it off the inbox."""
    _check_staff(actor)
    text = " ".join(str(text or "").split())
    if not text:
        raise ServiceRefusal("Write the answer.", code="invalid", fields={"text": "Write the answer."})
    if len(text) > 320:  # noqa: PLR2004 - two SMS segments
        raise ServiceRefusal(
            "Keep it to 320 characters (two text messages).", code="invalid", fields={"text": "At most 320 characters."}
        )
    with transaction.atomic():
        inbound = (
            InboundSms.objects.select_for_update(of=("self",)).select_related("patient").filter(pk=inbound_id).first()
        )
        if inbound is None:
            raise ServiceRefusal("No such message.", code="not_found")
        if not read_phone(inbound.from_number)[0]:
            raise ServiceRefusal("This sender cannot be answered by text: it is not a phone number.", code="invalid")
        if opt_out.is_opted_out(inbound.from_number):
            raise ServiceRefusal("This number replied STOP: it gets no texts until it replies START.", code="conflict")
        count = Message.objects.filter(subject=inbound.reference, kind="sms_staff_reply").count()
        _plan_reply(
            inbound,
            kind="sms_staff_reply",
            language=inbound.patient.language if inbound.patient else "en",
            context={"text": text, "clinic_name": settings.CLINIC_NAME},
            meta={"by": actor.pk},
            now=now,
            key_suffix=f"staff_reply:{count + 1}",
        )
        _handled(inbound, actor=actor, now=now)
    return Message.objects.get(idempotency_key=f"{inbound.reference}:staff_reply:{count + 1}")


def mark_handled(*, inbound_id: int, actor, now) -> InboundSms:
    """Off the inbox without an answer by text (she was called, or nothing needs saying)."""
    _check_staff(actor)
    with transaction.atomic():
        inbound = InboundSms.objects.select_for_update().filter(pk=inbound_id).first()
        if inbound is None:
            raise ServiceRefusal("No such message.", code="not_found")
        _handled(inbound, actor=actor, now=now)
    return inbound


def _handled(inbound, *, actor, now) -> None:
    if inbound.handled_at is None:
        inbound.handled_at, inbound.handled_by = now, actor
        inbound.save(update_fields=["handled_at", "handled_by"])


def subject_link(subject: str) -> str | None:
    return reverse("radiology:sms_inbox")

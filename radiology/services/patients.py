"""Finding and registering patients (pages and API share these), the patient as another
system knows her (an order's PID; the hospital's register, HL7 ADT: record_patient_from_feed,
her death: record_death), and correcting how she is reached (her pending messages follow).
How contact data is read: radiology.contact."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications import services as outbox
from notifications.models import Message
from procedures.reasons import CancelReason
from radiology import contact, rules
from radiology.errors import ServiceRefusal
from radiology.models import Appointment, Channel, Language, Patient, appointment_reference
from radiology.models.appointments import CANCELLABLE
from radiology.selectors.search import search_patients
from radiology.services import follow_ups, letters, rebooking, reminders
from radiology.services.cancellation import cancel_appointment


def find_patients(*, query: str = "", mrn: str = "", limit: int = 20) -> QuerySet[Patient]:
    """Patients whose MRN matches exactly (mrn=), or who match the query as the top bar's
    search does (name without regard to case or accents, MRN, date of birth, phone)."""
    if mrn:
        return Patient.objects.filter(mrn__iexact=mrn.strip(), merged_into__isnull=True)[:limit]
    return search_patients(query, limit=limit)


def register_patient(
    *,
    actor,
    mrn: str,
    given_name: str,
    family_name: str,
    birth_date,
    sex: str = Patient.Sex.FEMALE,
    phone="",
    email: str = "",
    preferred_channel: str | None = None,
    language: str = "en",
    contrast_allergy: bool = False,
    contrast_allergy_note: str = "",
) -> Patient:
    """Register a patient. The MRN is unique (a duplicate is a conflict, whatever the letter
    case), and the patient must be reachable on the channel reminders will use: without a
    preferred channel we take SMS when there is a phone number, else e-mail."""
    if actor is not None and not actor.has_perm("radiology.add_patient"):
        raise ServiceRefusal("Your role does not allow registering patients.", code="forbidden")
    mrn = mrn.strip()
    phone = phone or ""
    _check_names(family_name=family_name, given_name=given_name)
    if not phone and not email:
        raise ServiceRefusal(
            "Give a phone number or an e-mail address so the patient receives the preparation and reminders.",
            code="invalid",
            fields={"phone": "Give a phone number or an e-mail address.", "email": "Or give an e-mail address."},
        )
    preferred_channel = preferred_channel or (Channel.SMS if phone else Channel.EMAIL)
    problem = rules.unreachable(preferred_channel=preferred_channel, phone=phone, email=email)
    if problem:
        raise ServiceRefusal(problem[1], code="invalid", fields={problem[0]: problem[1]})
    problem = rules.birth_date_problem(birth_date)
    if problem:
        raise ServiceRefusal(problem, code="invalid", fields={"birth_date": problem})
    existing = Patient.objects.filter(mrn__iexact=mrn).first()
    if existing:
        raise _duplicate(existing)
    try:
        with transaction.atomic():
            return Patient.objects.create(
                mrn=mrn,
                given_name=given_name.strip(),
                family_name=family_name.strip(),
                birth_date=birth_date,
                sex=sex,
                phone=phone,
                email=email.strip(),
                preferred_channel=preferred_channel,
                language=language,
                contrast_allergy=contrast_allergy,
                contrast_allergy_note=contrast_allergy_note.strip(),
            )
    except IntegrityError:
        existing = Patient.objects.filter(mrn__iexact=mrn).first()
        if existing:  # registered by someone else a moment ago
            raise _duplicate(existing) from None
        raise


def _duplicate(existing: Patient) -> ServiceRefusal:
    return ServiceRefusal(
        f"A patient with MRN {existing.mrn} is already registered (patient id {existing.pk}); use that record.",
        code="conflict",
        fields={"mrn": f"MRN {existing.mrn} is already registered."},
        existing_patient_id=existing.pk,
    )


def register_or_update_patient(
    *,
    actor,
    mrn: str,
    given_name: str | None = None,
    family_name: str | None = None,
    birth_date=None,
    sex: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    language: str | None = None,
    now=None,
) -> Patient:
    """A patient as another system (the EHR) knows her, by MRN: registered when new, else
    updated with what the sender gives. None (an empty field) leaves hers as it is; "" (HL7's
    null, "delete") clears a phone or an e-mail. `language` is PID-15 as sent, read as the
    hospital's feed reads it (record_patient_from_feed). Contact data is read by radiology.contact and
    never refused: what does not read is kept as text and flagged "check contact", no contact
    at all is flagged "no contact". Her messages not yet out follow a changed number, address
    or channel, as when the contact page corrects them."""
    now = now or timezone.now()
    mrn = mrn.strip()
    _check_names(family_name=family_name, given_name=given_name)
    existing = Patient.objects.select_for_update().filter(mrn__iexact=mrn).first()
    if existing is None:
        return _register_from_system(
            actor=actor,
            mrn=mrn,
            given_name=given_name,
            family_name=family_name,
            birth_date=birth_date,
            sex=sex,
            phone=phone,
            email=email,
            language=language,
            now=now,
        )
    if actor is not None and not actor.has_perm("radiology.change_patient"):
        raise ServiceRefusal("Your role does not allow changing patients.", code="forbidden")
    if given_name:
        existing.given_name = given_name.strip()
    if family_name:
        existing.family_name = family_name.strip()
    if birth_date:
        _check_birth_date(birth_date)
        existing.birth_date = birth_date
    if sex:
        existing.sex = sex
    before = (str(existing.phone or ""), existing.email, existing.preferred_channel, existing.language)
    if phone is not None or email is not None:
        _apply_contact(existing, phone=phone, email=email, now=now)
    _apply_language(existing, language=language, interpreter=None)
    _clean(existing)
    existing.save()
    changed = (str(existing.phone or ""), existing.email, existing.preferred_channel, existing.language) != before
    # Re-addressed only to somewhere she can be reached; otherwise she is on the to-do.
    reachable = not rules.unreachable(
        preferred_channel=existing.preferred_channel, phone=existing.phone, email=existing.email
    )
    if changed and reachable:
        reminders.on_contact_changed(patient=existing, now=now)
    return existing


def _register_from_system(
    *, actor, mrn, given_name, family_name, birth_date, sex, phone, email, language, now
) -> Patient:
    if actor is not None and not actor.has_perm("radiology.add_patient"):
        raise ServiceRefusal("Your role does not allow registering patients.", code="forbidden")
    missing = {
        name: "Required for a new patient."
        for name, value in (("family_name", family_name), ("given_name", given_name), ("birth_date", birth_date))
        if not value
    }
    if missing:
        raise ServiceRefusal(
            f"Patient {mrn} is new here: her family name, given name and date of birth are needed.",
            code="required",
            fields=missing,
        )
    _check_birth_date(birth_date)
    patient = Patient(
        mrn=mrn,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        birth_date=birth_date,
        sex=sex or Patient.Sex.UNKNOWN,
        preferred_channel="",
    )
    _apply_contact(patient, phone=phone or "", email=email or "", now=now)
    _apply_language(patient, language=language, interpreter=None)
    _clean(patient)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:
        existing = Patient.objects.filter(mrn__iexact=mrn).first()
        if existing:  # registered on another connection a moment ago
            raise _duplicate(existing) from None
        raise
    return patient


def _apply_contact(patient: Patient, *, phone: str | None, email: str | None, now) -> None:
    """Set what the sender gave (None: keep ours), read one way (radiology.contact), and
    the channel and flag that follow. Text that could not be read replaces what was kept."""
    unread = []
    if phone is not None:
        patient.phone, text = contact.read_phone(phone)
        unread.append(text)
    if email is not None:
        patient.email, text = contact.read_email(email)
        unread.append(text)
    reach = contact.assess(
        phone=str(patient.phone or ""),
        email=patient.email,
        as_sent="; ".join(t for t in unread if t),
        preferred_channel=patient.preferred_channel or None,
    )
    if (reach.flag, reach.as_sent) != (patient.contact_flag, patient.contact_as_sent):
        patient.contact_flagged_at = now if reach.flag else None
    patient.preferred_channel, patient.contact_flag, patient.contact_as_sent = (
        reach.preferred_channel,
        reach.flag,
        reach.as_sent,
    )


def _check_names(**names) -> None:
    problem = rules.names_problem(**names)
    if problem:
        raise ServiceRefusal(problem[1], code="invalid", fields={problem[0]: problem[1]})


def _check_birth_date(birth_date) -> None:
    problem = rules.birth_date_problem(birth_date)
    if problem:
        raise ServiceRefusal(problem, code="invalid", fields={"birth_date": problem})


def _clean(patient: Patient) -> None:
    try:
        patient.full_clean(validate_unique=False)
    except ValidationError as error:
        fields = {name: " ".join(messages) for name, messages in error.message_dict.items()}
        raise ServiceRefusal(" ".join(fields.values()), code="invalid", fields=fields) from None


def correct_contact(
    *, actor, patient_id: int, phone, email: str, preferred_channel: str, language: str, now=None
) -> tuple[Patient, int]:
    """Correct how a patient is reached (a wrong number, a new e-mail, e-mail instead of
    text). The same rule as at registration: she must be reachable on her channel. Her
    messages not yet out follow the new details; returns her and how many moved."""
    now = now or timezone.now()
    if not actor.has_perm("radiology.change_patient"):
        raise ServiceRefusal("Your role does not allow changing patients.", code="forbidden")
    problem = rules.unreachable(preferred_channel=preferred_channel, phone=phone, email=email)
    if problem:
        raise ServiceRefusal(problem[1], code="invalid", fields={problem[0]: problem[1]})
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
        if patient is None:
            raise ServiceRefusal("That patient does not exist.", code="not_found")
        patient.phone, patient.email = phone or "", email.strip()
        patient.preferred_channel, patient.language = preferred_channel, language
        # Reachable by the rule above: whatever a system sent that we could not read is done with.
        patient.contact_flag, patient.contact_as_sent, patient.contact_flagged_at = "", "", None
        try:
            patient.full_clean(validate_unique=False)
        except ValidationError as error:
            fields = {name: " ".join(messages) for name, messages in error.message_dict.items()}
            raise ServiceRefusal(" ".join(fields.values()), code="invalid", fields=fields) from None
        patient._change_reason = "Contact details corrected"  # noqa: SLF001 - django-simple-history's documented hook
        patient.save(
            update_fields=[
                "phone",
                "email",
                "preferred_channel",
                "language",
                "contact_flag",
                "contact_as_sent",
                "contact_flagged_at",
            ]
        )
        moved = reminders.on_contact_changed(patient=patient, now=now)
    return patient, moved


# --- the hospital's patient register (HL7 ADT) -------------------------------------------------

# PID-15 as senders write it (ISO 639-1 and -2, the language's name, with a region or not) and
# the language of ours it names. Any other language: she keeps ours and needs an interpreter.
SPOKEN = {
    Language.ENGLISH: {"en", "eng", "english"},
    Language.SPANISH: {"es", "spa", "spanish", "español", "espanol", "castellano"},
}


def spoken_language(sent: str) -> str | None:
    """Our language for what a system sent ("es", "SPA", "Spanish", "es-MX"), or None."""
    word = sent.strip().lower().replace("_", "-")
    for code, names in SPOKEN.items():
        if word in names or word.split("-")[0] in names:
            return code
    return None


def record_patient_from_feed(
    *,
    mrn: str,
    register: bool,
    given_name: str | None = None,
    family_name: str | None = None,
    birth_date=None,
    sex: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    language: str | None = None,
    interpreter: bool | None = None,
    deceased: bool | None = None,
    deceased_at=None,
    now=None,
) -> Patient | None:
    """A patient as the hospital's register (ADT) sends her, by MRN: a known one is updated,
    never duplicated; an unknown one is registered when `register`, else left alone (None).
    As for orders, None leaves a value and "" deletes it; contact data is never refused.
    Unlike an order's patient, a record without a birth date or given name is kept with what
    is known and flagged for the schedulers (`details_flagged_at`); only a family name is
    needed, to find her by. `language` is PID-15 as sent: one we speak becomes hers, any other
    flags an interpreter (as `interpreter` True does; False clears it). Her messages not yet out
    follow a new number, address, channel or language. A reported death (deceased True) ends
    her upcoming appointments and withdraws her pending messages (record_death)."""
    now = now or timezone.now()
    mrn = mrn.strip()
    _check_names(family_name=family_name, given_name=given_name)
    patient = Patient.objects.select_for_update().filter(mrn__iexact=mrn).first()
    if patient is None and not register:
        return None
    new = patient is None
    if new:
        if not family_name:
            raise ServiceRefusal(
                f"Patient {mrn} is new here: her family name is needed.",
                code="required",
                fields={"family_name": "Required for a new patient."},
            )
        patient = Patient(mrn=mrn, family_name="", sex=Patient.Sex.UNKNOWN, preferred_channel="")
    before = (str(patient.phone or ""), patient.email, patient.preferred_channel, patient.language)
    if given_name is not None:
        patient.given_name = given_name.strip()
    if family_name:
        patient.family_name = family_name.strip()
    if birth_date:
        _check_birth_date(birth_date)
        patient.birth_date = birth_date
    if sex:
        patient.sex = sex
    if new:
        _apply_contact(patient, phone=phone or "", email=email or "", now=now)
    elif phone is not None or email is not None:
        _apply_contact(patient, phone=phone, email=email, now=now)
    _apply_language(patient, language=language, interpreter=interpreter)
    complete = patient.birth_date is not None and bool(patient.given_name)
    if complete:
        patient.details_flagged_at = None
    elif patient.details_flagged_at is None:
        patient.details_flagged_at = now
    died = deceased and not patient.deceased
    if deceased is not None:
        patient.deceased = deceased
        patient.deceased_at = (deceased_at or patient.deceased_at) if deceased else None
    _clean(patient)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:
        existing = Patient.objects.filter(mrn__iexact=mrn).first()
        if new and existing:  # registered on another connection a moment ago
            raise _duplicate(existing) from None
        raise
    if patient.deceased:
        if died or new:
            record_death(patient=patient, now=now)
        return patient
    changed = (str(patient.phone or ""), patient.email, patient.preferred_channel, patient.language) != before
    reachable = not rules.unreachable(
        preferred_channel=patient.preferred_channel, phone=patient.phone, email=patient.email
    )
    if not new and changed and reachable:
        reminders.on_contact_changed(patient=patient, now=now)
    return patient


def _apply_language(patient: Patient, *, language: str | None, interpreter: bool | None) -> None:
    if language is not None:
        ours = spoken_language(language) if language else Language.ENGLISH
        if ours is not None:
            patient.language, patient.interpreter_language, patient.interpreter_needed = ours, "", False
        else:
            patient.interpreter_language, patient.interpreter_needed = language.strip()[:60], True
    if interpreter is not None:
        patient.interpreter_needed = interpreter
    if not patient.interpreter_needed:
        patient.interpreter_booked = False  # no interpreter to book (the database requires it)


def record_death(*, patient: Patient, now) -> int:
    """She has died (the hospital says so): each upcoming appointment is cancelled with the
    coded reason "deceased" (which plans no message to her) and every message to her not yet
    out is withdrawn, at once, and so are her result letters not yet sent. Returns how many
    appointments were cancelled."""
    cancelled = 0
    upcoming = Appointment.objects.filter(patient=patient, status__in=CANCELLABLE).values_list("pk", flat=True)
    for appointment_id in list(upcoming):
        cancel_appointment(appointment_id=appointment_id, actor=None, reason_code=CancelReason.DECEASED, now=now)
        cancelled += 1
    for appointment_id in patient.appointments.values_list("pk", flat=True):
        outbox.withdraw_messages(
            subject=appointment_reference(appointment_id),
            now=now,
            reason="Withdrawn: the patient has died.",
            audience=Message.Audience.PATIENT,
        )
    letters.withdraw_letters_of_deceased(patient=patient, now=now)
    follow_ups.on_patient_died(patient=patient, now=now)
    for order in patient.orders.all():
        rebooking.on_order_closed(order=order, now=now, note="The patient has died.")
    return cancelled

"""Finding and registering patients at booking time (pages and API share these)."""

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from radiology.errors import AppointmentActionError
from radiology.models import Channel, Patient
from radiology.search import search_patients


def find_patients(*, query: str = "", mrn: str = "", limit: int = 20) -> QuerySet[Patient]:
    """Patients whose MRN matches exactly (mrn=), or who match the query as the top bar's
    search does (name without regard to case or accents, MRN, date of birth, phone)."""
    if mrn:
        return Patient.objects.filter(mrn__iexact=mrn.strip())[:limit]
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
        raise AppointmentActionError("Your role does not allow registering patients.", code="forbidden")
    mrn = mrn.strip()
    phone = phone or ""
    if not phone and not email:
        raise AppointmentActionError(
            "Give a phone number or an e-mail address so the patient receives the preparation and reminders.",
            code="invalid",
            fields={"phone": "Give a phone number or an e-mail address.", "email": "Or give an e-mail address."},
        )
    preferred_channel = preferred_channel or (Channel.SMS if phone else Channel.EMAIL)
    if preferred_channel == Channel.SMS and not phone:
        raise AppointmentActionError(
            "Text messages need a phone number.",
            code="invalid",
            fields={"phone": "Text messages need a phone number; add one or choose e-mail."},
        )
    if preferred_channel == Channel.EMAIL and not email:
        raise AppointmentActionError(
            "E-mail reminders need an e-mail address.",
            code="invalid",
            fields={"email": "E-mail reminders need an e-mail address; add one or choose text messages."},
        )
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


def _duplicate(existing: Patient) -> AppointmentActionError:
    error = AppointmentActionError(
        f"A patient with MRN {existing.mrn} is already registered (patient id {existing.pk}); use that record.",
        code="conflict",
        fields={"mrn": f"MRN {existing.mrn} is already registered."},
    )
    error.existing_patient_id = existing.pk
    return error

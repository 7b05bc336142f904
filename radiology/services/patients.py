"""Finding and registering patients at booking time (pages and API share these)."""

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from radiology import rules
from radiology.errors import AppointmentActionError
from radiology.models import Channel, Patient


def find_patients(*, query: str = "", mrn: str = "", limit: int = 20) -> QuerySet[Patient]:
    """Patients whose MRN matches exactly (mrn=) or whose name or MRN starts with each word of query."""
    patients = Patient.objects.all()
    if mrn:
        return patients.filter(mrn__iexact=mrn.strip())[:limit]
    words = query.replace(",", " ").split()
    if not words:
        return patients.none()
    for word in words:
        patients = patients.filter(
            Q(mrn__iexact=word) | Q(given_name__istartswith=word) | Q(family_name__istartswith=word)
        )
    return patients.order_by("family_name", "given_name", "pk")[:limit]


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
    problem = rules.unreachable(preferred_channel=preferred_channel, phone=phone, email=email)
    if problem:
        raise AppointmentActionError(problem[1], code="invalid", fields={problem[0]: problem[1]})
    problem = rules.birth_date_problem(birth_date)
    if problem:
        raise AppointmentActionError(problem, code="invalid", fields={"birth_date": problem})
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

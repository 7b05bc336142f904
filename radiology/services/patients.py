"""Finding and registering patients at booking time (pages and API share these)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from radiology import rules
from radiology.errors import ServiceRefusal
from radiology.models import Channel, Patient
from radiology.selectors.search import search_patients
from radiology.services import reminders


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
        raise ServiceRefusal("Your role does not allow registering patients.", code="forbidden")
    mrn = mrn.strip()
    phone = phone or ""
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
    given_name: str,
    family_name: str,
    birth_date,
    sex: str | None = None,
    phone="",
    email: str = "",
) -> Patient:
    """A patient as another system (the EHR) knows her, by MRN: registered when new, else
    her name, birth date and sex follow the sender, and a phone or e-mail replaces ours only
    when one is given (so she stays reachable on her preferred channel)."""
    existing = Patient.objects.select_for_update().filter(mrn__iexact=mrn.strip()).first()
    if existing is None:
        return register_patient(
            actor=actor,
            mrn=mrn,
            given_name=given_name,
            family_name=family_name,
            birth_date=birth_date,
            sex=sex or Patient.Sex.UNKNOWN,
            phone=phone,
            email=email,
        )
    if actor is not None and not actor.has_perm("radiology.change_patient"):
        raise ServiceRefusal("Your role does not allow changing patients.", code="forbidden")
    existing.given_name, existing.family_name, existing.birth_date = given_name.strip(), family_name.strip(), birth_date
    if sex:
        existing.sex = sex
    if phone:
        existing.phone = phone
    if email:
        existing.email = email.strip()
    try:
        existing.full_clean(validate_unique=False)
    except ValidationError as error:
        fields = {name: " ".join(messages) for name, messages in error.message_dict.items()}
        raise ServiceRefusal(" ".join(fields.values()), code="invalid", fields=fields) from None
    existing.save()
    return existing


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
        try:
            patient.full_clean(validate_unique=False)
        except ValidationError as error:
            fields = {name: " ".join(messages) for name, messages in error.message_dict.items()}
            raise ServiceRefusal(" ".join(fields.values()), code="invalid", fields=fields) from None
        patient._change_reason = "Contact details corrected"  # noqa: SLF001 - django-simple-history's documented hook
        patient.save(update_fields=["phone", "email", "preferred_channel", "language"])
        moved = reminders.on_contact_changed(patient=patient, now=now)
    return patient, moved

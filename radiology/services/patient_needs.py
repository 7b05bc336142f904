"""Her interpreter and access needs: recorded on the patient, read at every visit.

The rule: an interpreter can be booked only when one is needed (the database says so too);
her language, as she speaks it, is kept as text when it is not one the product writes to her
in (`Patient.language` stays the language of her messages). Schedulers record needs when
they book, technologists and nurses when they meet her at the desk; the page and the API
call record_needs. The hospital's feed (ADT PID-15, the interpreter field) sets and clears
"interpreter needed" through the patients service; clearing it un-books the interpreter.
"""

from django.db import transaction

from radiology.errors import ServiceRefusal
from radiology.models import Patient

NEEDS_FIELDS = (
    "interpreter_needed",
    "interpreter_language",
    "interpreter_booked",
    "wheelchair",
    "hearing_impaired",
    "visually_impaired",
    "access_note",
)
# Who records them: whoever books her or checks her in.
MAY_RECORD = ("radiology.change_patient", "radiology.check_in_appointment")


def may_record_needs(user) -> bool:
    return any(user.has_perm(permission) for permission in MAY_RECORD)


def record_needs(
    *,
    actor,
    patient_id: int,
    interpreter_needed: bool,
    interpreter_language: str = "",
    interpreter_booked: bool = False,
    wheelchair: bool = False,
    hearing_impaired: bool = False,
    visually_impaired: bool = False,
    access_note: str = "",
) -> Patient:
    """Replace her needs with these (every field at once: the form shows them all)."""
    if not may_record_needs(actor):
        raise ServiceRefusal("Your role does not allow recording a patient's needs.", code="forbidden")
    problems = {}
    if interpreter_booked and not interpreter_needed:
        problems["interpreter_booked"] = (
            "An interpreter is booked only when she needs one: tick “needs an interpreter”."
        )
    if len(interpreter_language.strip()) > 60:
        problems["interpreter_language"] = "Her language in at most 60 characters."
    if len(access_note.strip()) > 300:
        problems["access_note"] = "Other needs in at most 300 characters."
    if problems:
        raise ServiceRefusal(" ".join(problems.values()), code="invalid", fields=problems)
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
        if patient is None:
            raise ServiceRefusal("That patient does not exist.", code="not_found")
        if patient.merged_into_id is not None:
            raise ServiceRefusal("This record was merged into another: record her needs there.", code="not_allowed")
        patient.interpreter_needed = interpreter_needed
        patient.interpreter_language = interpreter_language.strip()
        patient.interpreter_booked = interpreter_booked
        patient.wheelchair, patient.hearing_impaired, patient.visually_impaired = (
            wheelchair,
            hearing_impaired,
            visually_impaired,
        )
        patient.access_note = access_note.strip()
        patient._change_reason = "Needs recorded"  # noqa: SLF001 - django-simple-history's documented hook
        patient.save(update_fields=list(NEEDS_FIELDS))
    return patient

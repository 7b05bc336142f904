"""Coded reasons, part of the catalog: why an appointment was cancelled, why a procedure
stopped, why it did not go ahead. Codes are stored and counted; labels are shown. Every door
(pages, API, HL7, the patient link) picks from these lists; "other" needs a note."""

from django.db import models


class CancelReason(models.TextChoices):
    PATIENT_REQUEST = "patient_request", "Patient asked to cancel"
    PATIENT_UNWELL = "patient_unwell", "Patient unwell"
    DISCHARGE_STOPPED = "discharge_stopped", "Discharge has stopped"
    REFERRER_CANCELLED = "referrer_cancelled", "Referring physician cancelled the order"
    PATIENT_VIA_LINK = "patient_via_link", "Cancelled by the patient through her appointment link"
    STAFF_OR_ROOM_UNAVAILABLE = "unavailable", "Staff or room unavailable"
    BOOKED_IN_ERROR = "booked_in_error", "Booked in error"
    # The hospital reported her death (HL7 ADT PID-29/30): nothing more is sent to her.
    DECEASED = "deceased", "Patient deceased"
    OTHER = "other", "Other"


class AbortReason(models.TextChoices):
    """Why a started procedure stopped (the appointment becomes incomplete)."""

    COULD_NOT_CANNULATE = "could_not_cannulate", "Could not cannulate the duct"
    NO_DISCHARGE = "no_discharge", "No discharge to find the duct"
    PATIENT_DECLINED = "patient_declined", "Patient declined to continue"
    CONTRAST_REACTION = "contrast_reaction", "Contrast reaction"
    EQUIPMENT = "equipment", "Equipment problem"
    DISCONTINUED_AT_MODALITY = "discontinued_at_modality", "Discontinued at the modality"
    OTHER = "other", "Other"


class NotProceededReason(models.TextChoices):
    """Why a patient who came (or was due) was not examined: she needs a new time."""

    NO_DISCHARGE = "no_discharge", "No discharge today"
    EXPRESSED = "expressed", "Expressed within 48 hours"
    PATIENT_DECLINED = "patient_declined", "Patient declined"
    CONTRAST_ALLERGY = "contrast_allergy", "Contrast allergy"
    # The radiologist's decision after a positive answer at check-in (not to go ahead today).
    PREGNANCY = "pregnancy", "Pregnant or possibly pregnant (radiologist's decision)"
    BREASTFEEDING = "breastfeeding", "Breastfeeding (radiologist's decision)"
    OTHER = "other", "Other"


def reason_text(choices: type[models.TextChoices], code: str, note: str = "") -> str:
    """The human-readable reason stored beside the code: the label, then the note."""
    note = note.strip()
    return f"{choices(code).label}: {note}" if note else str(choices(code).label)

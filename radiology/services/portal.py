"""What a patient can do through her link. Each is one transaction; none needs a login."""

from procedures.reasons import CancelReason
from radiology.models import UPCOMING, Appointment, ReadinessResponse
from radiology.services.booking import cancel_appointment


def confirm_attendance(*, appointment_id: int, now) -> bool:
    """Record that the patient says she is coming (only for an upcoming appointment)."""
    return bool(Appointment.objects.filter(pk=appointment_id, status__in=UPCOMING).update(patient_confirmed_at=now))


def record_readiness(
    *, appointment_id: int, discharge_present, expressed_last_48h, contrast_allergy, now
) -> ReadinessResponse:
    """Store the patient's answers; the latest answers count and are shown to staff."""
    return ReadinessResponse.objects.create(
        appointment_id=appointment_id,
        discharge_present=discharge_present,
        expressed_last_48h=expressed_last_48h,
        contrast_allergy=contrast_allergy,
        answered_at=now,
    )


def request_another_time(*, appointment_id: int, now) -> bool:
    """Put the appointment on the schedulers' to-do list; the booking stays until they move it."""
    return bool(Appointment.objects.filter(pk=appointment_id, status__in=UPCOMING).update(reschedule_requested_at=now))


def cancel_by_patient(*, appointment_id: int, now) -> None:
    """Cancel through the booking service (frees the room and people, withdraws reminders)."""
    cancel_appointment(appointment_id=appointment_id, actor=None, reason_code=CancelReason.PATIENT_VIA_LINK, now=now)

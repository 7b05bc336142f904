"""What a patient can do through her link. Each is one transaction; none needs a login."""

from django.db import transaction

from radiology.models import UPCOMING, Appointment, ReadinessResponse

PATIENT_CANCEL_REASON = "Cancelled by the patient through her appointment link."


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
    try:
        from radiology.services.booking import cancel_appointment
    except ImportError:  # the booking services are not in yet: cancel the state and the reminders
        from radiology.services import reminders
        from radiology.services.transitions import perform_transition

        with transaction.atomic():
            appointment = perform_transition(
                appointment_id=appointment_id, action="cancel", actor=None, reason=PATIENT_CANCEL_REASON, now=now
            )
            reminders.on_cancelled(appointment=appointment, now=now)
        return
    cancel_appointment(appointment_id=appointment_id, actor=None, reason=PATIENT_CANCEL_REASON, now=now)

"""Reads for the modality interfaces: the worklist's appointments and the link from a
performed procedure step back to its appointment. A fixed number of queries whatever the
number of items (one query with its joins)."""

from datetime import date

from django.db.models import QuerySet

from radiology.models import Appointment, AppointmentStatus, PerformedProcedureStep
from scheduling.clinic_time import local_day_bounds, to_local

# On the worklist: booked and not yet started. In procedure has left the worklist: the
# modality has it open.
WORKLIST_STATES = [
    AppointmentStatus.BOOKED,
    AppointmentStatus.PREP_SENT,
    AppointmentStatus.REMINDED,
    AppointmentStatus.CHECKED_IN,
]
STEP_ID_PREFIX = "SPS"
# What a worklist item shows (radiology.interfaces.dicom.items), and no more: a day's worklist loads
# hundreds of rows, and unused columns (phone numbers are parsed on load) cost time.
WORKLIST_FIELDS = (
    "start",
    "end",
    "status",
    "patient__mrn",
    "patient__given_name",
    "patient__family_name",
    "patient__birth_date",
    "patient__sex",
    "patient__contrast_allergy",
    "order__accession_number",
    "order__study_instance_uid",
    "order__placer_order_number",
    "order__side",
    "order__indication",
    "order__indication_other",
    "order__discharge_ducts",
    "order__priority",
    "order__referring_physician_family_name",
    "order__referring_physician_given_name",
    "room__name",
    "room__ae_title",
    "radiologist__user__username",
    "radiologist__user__first_name",
    "radiologist__user__last_name",
    "procedure__name",
    "procedure__imaging_cpt_single",
    "procedure__imaging_cpt_multiple",
)


def scheduled_step_id(appointment_id: int) -> str:
    """The Scheduled Procedure Step ID (SH, ≤16) the worklist gives an appointment."""
    return f"{STEP_ID_PREFIX}{appointment_id}"


def appointment_id_from_step_id(step_id: str) -> int | None:
    step_id = (step_id or "").strip()
    if step_id.startswith(STEP_ID_PREFIX) and step_id[len(STEP_ID_PREFIX) :].isdigit():
        return int(step_id[len(STEP_ID_PREFIX) :])
    return None


def worklist_appointments(
    *, first_day: date | None = None, last_day: date | None = None, station_ae_title: str | None = None
) -> QuerySet[Appointment]:
    """Appointments on the worklist, narrowed by clinic-local days and room AE title when the
    query gives them (the matching engine still checks every key exactly)."""
    appointments = (
        Appointment.objects.filter(status__in=WORKLIST_STATES)
        .select_related("patient", "order", "room", "radiologist__user", "procedure")
        .only(*WORKLIST_FIELDS)
        .order_by("start", "pk")
    )
    if first_day is not None:
        appointments = appointments.filter(start__gte=local_day_bounds(first_day)[0])
    if last_day is not None:
        appointments = appointments.filter(start__lt=local_day_bounds(last_day)[1])
    if station_ae_title is not None:
        appointments = appointments.filter(room__ae_title=station_ae_title)
    return appointments


def find_appointment_for_step(
    *, study_instance_uid: str, scheduled_step_id: str, accession_number: str
) -> Appointment | None:
    """Study Instance UID + our step ID first (exact); else the accession number, preferring
    the appointment still in the department's hands over an earlier cancelled one."""
    appointment_id = appointment_id_from_step_id(scheduled_step_id)
    if study_instance_uid and appointment_id is not None:
        found = Appointment.objects.filter(pk=appointment_id, order__study_instance_uid=study_instance_uid).first()
        if found is not None:
            return found
    if accession_number:
        candidates = list(Appointment.objects.filter(order__accession_number=accession_number).order_by("-start"))
        active = [a for a in candidates if a.status in (*WORKLIST_STATES, AppointmentStatus.IN_PROCEDURE)]
        return (active or candidates or [None])[0]
    return None


def steps_needing_attention() -> QuerySet[PerformedProcedureStep]:
    """Steps a person must look at. A step waiting for its outcome drops off once the
    appointment was completed (or ended) another way, e.g. on the day list's own page."""
    finished = [AppointmentStatus.COMPLETED, AppointmentStatus.FOLLOW_UP, AppointmentStatus.INCOMPLETE]
    return (
        PerformedProcedureStep.objects.exclude(attention="")
        .exclude(attention="outcome_needed", appointment__status__in=finished)
        .select_related("appointment__patient", "appointment__room", "appointment__procedure")
        .order_by("-received_at")
    )


def step_day(step: PerformedProcedureStep) -> date:
    """The clinic day a step was performed on (received, when the modality sent no start)."""
    return to_local(step.started_at or step.received_at).date()


def link_candidates(days: set[date]) -> dict[date, list[Appointment]]:
    """The appointments a step of each day may be linked to: not yet finished, that day,
    by start time. One query for all the days of a page."""
    found: dict[date, list[Appointment]] = {day: [] for day in days}
    if not days:
        return found
    first, _ = local_day_bounds(min(days))
    _, last = local_day_bounds(max(days))
    appointments = (
        Appointment.objects.filter(
            status__in=[*WORKLIST_STATES, AppointmentStatus.IN_PROCEDURE], start__gte=first, start__lt=last
        )
        .select_related("patient", "room")
        .order_by("start", "room__name")
    )
    for appointment in appointments:
        day = to_local(appointment.start).date()
        if day in found:
            found[day].append(appointment)
    return found

"""The day list's answer (GET /api/v1/appointments): AppointmentSerializer's output for each
appointment, built from one values() query, as FHIR's search of the same day maps its rows.

Model instances were most of a 200-row list's time: nine per row (the appointment, her record,
the order, the procedure, the room, two staff members and their users), each also announcing
itself to the read audit, then DRF's walk of twenty fields per row: 1.93x FHIR's search of the
same day (issue 24). AppointmentSerializer stays the description (the schema, the detail
answer); tests/radiology/interfaces/api/test_appointment_list.py holds the two equal.
"""

from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from radiology.interfaces.api.serializers import AppointmentSerializer
from radiology.models import Appointment, Patient, StaffMember
from radiology.services import told_table

_USERNAME = get_user_model().USERNAME_FIELD
_STAFF = ("id", "role", "user__first_name", "user__last_name", f"user__{_USERNAME}")
FIELDS = (
    "id",
    "status",
    "procedure__slug",
    "patient_id",
    "patient__mrn",
    "patient__given_name",
    "patient__family_name",
    "start",
    "end",
    "duration_minutes",
    "room_id",
    "room__name",
    *(f"{role}__{field}" for role in ("radiologist", "technologist") for field in _STAFF),
    "version",
    "patient_confirmed_at",
    "lead_time_override_reason",
    "cancel_reason",
    "order_id",
    "order__accession_number",
    "order__study_instance_uid",
    "order__side",
    "order__indication",
)
# The serializer's own fields turn times into text (the clinic's offset), as in the detail answer.
_SERIALIZER_FIELDS = AppointmentSerializer().fields


def appointment_list(appointments: QuerySet[Appointment]) -> list[dict]:
    """Each appointment of the queryset (in its order) as AppointmentSerializer shows it."""
    labels = {value: str(label) for value, label in Appointment._meta.get_field("status").flatchoices}
    people: dict[int, dict] = {}
    start, end, confirmed = (
        _SERIALIZER_FIELDS[name].to_representation for name in ("start", "end", "patient_confirmed_at")
    )
    return [
        {
            "id": row["id"],
            "status": row["status"],
            "status_display": labels.get(row["status"], row["status"]),
            "fhir_status": told_table.fhir_status(row["status"]),
            "procedure": row["procedure__slug"],
            "patient": {
                "id": row["patient_id"],
                "mrn": row["patient__mrn"],
                "name": _patient_name(row["patient__given_name"], row["patient__family_name"]),
            },
            "start": start(row["start"]),
            "end": end(row["end"]),
            "duration": row["duration_minutes"],
            "resources": {
                "room": {"id": row["room_id"], "name": row["room__name"]},
                "radiologist": _staff_ref(row, "radiologist", people),
                "technologist": _staff_ref(row, "technologist", people),
            },
            "version": row["version"],
            "patient_confirmed_at": confirmed(row["patient_confirmed_at"]),
            "lead_time_override_reason": row["lead_time_override_reason"],
            "cancel_reason": row["cancel_reason"],
            "order": row["order_id"],
            "accession_number": row["order__accession_number"],
            "study_instance_uid": row["order__study_instance_uid"],
            "side": row["order__side"],
            "indication": row["order__indication"],
        }
        for row in appointments.values(*FIELDS)
    ]


def _patient_name(given_name: str, family_name: str) -> str:
    # Patient.full_name's own rule, read from the values.
    return Patient.full_name.fget(SimpleNamespace(given_name=given_name, family_name=family_name))


def _staff_ref(row: dict, role: str, people: dict[int, dict]) -> dict:
    """StaffRefSerializer's output, made once per person of the day (StaffMember.name's rule)."""
    pk = row[f"{role}__id"]
    if pk not in people:
        user = get_user_model()(
            first_name=row[f"{role}__user__first_name"],
            last_name=row[f"{role}__user__last_name"],
            **{_USERNAME: row[f"{role}__user__{_USERNAME}"]},
        )
        people[pk] = {"id": pk, "name": StaffMember(user=user).name, "role": row[f"{role}__role"]}
    return people[pk]

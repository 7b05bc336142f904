"""How an outbox subject ("appointment:31") reads on staff pages: the patient and the time."""

from radiology.models import APPOINTMENT_PREFIX, Appointment
from scheduling.clinic_time import clinic_zone

PREFIX = f"{APPOINTMENT_PREFIX}:"


def describe_appointments(subjects) -> dict[str, str]:
    """{"appointment:31": "Hernández, Ana — Wed 3 Dec 09:30"}; one query for a page."""
    ids = {}
    for subject in subjects:
        number = subject.removeprefix(PREFIX)
        if subject.startswith(PREFIX) and number.isdigit():
            ids[int(number)] = subject
    words = {}
    zone = clinic_zone()
    # Instances, not values: the read audit (security/read_audit.py) sees whose names a page shows.
    rows = (
        Appointment.objects.filter(pk__in=ids)
        .select_related("patient")
        .only("pk", "start", "patient_id", "patient__family_name", "patient__given_name")
    )
    for row in rows:
        local = row.start.astimezone(zone)
        words[ids[row.pk]] = (
            f"{row.patient.family_name}, {row.patient.given_name} — {local:%a} {local.day} {local:%b %H:%M}"
        )
    for pk, subject in ids.items():
        words.setdefault(subject, f"Appointment {pk} (deleted)")
    return words

"""The staff inbox of patients' texts: what needs a person (free text, a number nobody has,
"another time" from a shared phone), and the latest of everything else for context. For each:
who sent it (the patient matched by her number, or the patients sharing it, or nobody), and
her next appointment. A fixed number of queries whatever the page's length."""

from dataclasses import dataclass, field

from radiology.models import UPCOMING, Appointment, InboundSms, Patient

RECENT = 50


@dataclass
class InboxRow:
    message: InboundSms
    patients: list = field(default_factory=list)  # everyone whose record has the number
    next_appointment: Appointment | None = None

    @property
    def needs_a_person(self) -> bool:
        return self.message.outcome == InboundSms.Outcome.INBOX and self.message.handled_at is None


def inbox(*, now) -> tuple[list[InboxRow], list[InboxRow]]:
    """(open: waiting for staff, oldest first; recent: the latest others, newest first)."""
    base = InboundSms.objects.select_related("patient", "appointment", "handled_by")
    waiting = list(base.filter(outcome=InboundSms.Outcome.INBOX, handled_at__isnull=True).order_by("received_at"))
    recent = list(base.exclude(pk__in=[m.pk for m in waiting]).order_by("-received_at", "-pk")[:RECENT])
    rows = [InboxRow(m) for m in waiting + recent]
    numbers = {row.message.from_number for row in rows}
    by_number: dict[str, list[Patient]] = {}
    for patient in Patient.objects.filter(phone__in=numbers, merged_into__isnull=True).order_by("pk"):
        by_number.setdefault(str(patient.phone), []).append(patient)
    patient_ids = {p.pk for group in by_number.values() for p in group}
    upcoming: dict[int, Appointment] = {}
    for appointment in (
        Appointment.objects.filter(patient_id__in=patient_ids, status__in=UPCOMING, start__gt=now)
        .select_related("room")
        .order_by("start")
    ):
        upcoming.setdefault(appointment.patient_id, appointment)
    for row in rows:
        row.patients = by_number.get(row.message.from_number, [])
        if row.message.patient_id:
            row.next_appointment = upcoming.get(row.message.patient_id)
    return rows[: len(waiting)], rows[len(waiting) :]

"""The patients the schedulers' to-do lists because the department cannot reach her as a
system sent her contact details (radiology.contact): "check contact" (what was sent does not
read as a number or address; the text is shown) and "no contact" (nothing reaches her; call
her or wait for the hospital's update). Only patients with an order still to be done; an
item resolved with a note stays off until her contact changes again (a new flag date), and
correcting her contact on the patient page clears the flag itself. Two queries.

And "merge conflict": a patient whose records the hospital merged (ADT^A40) and who now has
two or more galactograms ahead; each is named so a scheduler can cancel or keep one. It leaves
the list when only one is left ahead, or with a resolution noted after the last merge (a
second one that is wanted). Two more queries."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from radiology.models import UPCOMING, Appointment, AppointmentStatus, ContactFlag, Order, Patient, TodoNote

OPEN_ORDERS = (Order.Status.WAITING, Order.Status.SCHEDULED)
# A galactogram she may still come to (booking's "one ahead").
AHEAD = [*UPCOMING, AppointmentStatus.CHECKED_IN]


@dataclass
class ReachItem:
    patient: Patient
    reason: str
    notes: list = field(default_factory=list)
    # For a merge conflict: her galactograms ahead, earliest first.
    appointments: list = field(default_factory=list)

    @property
    def last_call(self):
        return self.notes[0] if self.notes else None


REASONS = {
    ContactFlag.CHECK: "Check contact: sent as",
    ContactFlag.NONE_GIVEN: "No contact: no phone or e-mail",
}


def patients_to_reach(*, now=None) -> list[ReachItem]:
    items = _contact_items()
    by_patient = {item.patient.pk: item for item in items}
    for item in merge_conflicts(now=now or timezone.now()):
        if item.patient.pk in by_patient:  # one row per patient: both reasons on it
            same = by_patient[item.patient.pk]
            same.reason, same.appointments = f"{same.reason}; {item.reason}", item.appointments
        else:
            items.append(item)
    return items


def merge_conflicts(*, now) -> list[ReachItem]:
    """Survivors of a merge with two or more galactograms ahead, not resolved since the merge."""
    last_merge = Patient.objects.filter(merged_into=OuterRef("pk")).order_by("-merged_at").values("merged_at")[:1]
    ahead = Q(appointments__status__in=AHEAD, appointments__end__gt=now)
    patients = (
        Patient.objects.filter(Exists(Patient.objects.filter(merged_into=OuterRef("pk"))))
        .annotate(ahead=Count("appointments", filter=ahead), last_merge=Subquery(last_merge))
        .filter(ahead__gte=2)
        .prefetch_related(
            Prefetch("todo_notes", queryset=TodoNote.objects.select_related("by")),
            Prefetch(
                "appointments",
                queryset=Appointment.objects.filter(status__in=AHEAD, end__gt=now).order_by("start", "pk"),
                to_attr="ahead_list",
            ),
        )
        .order_by("last_merge", "pk")
    )
    items = []
    for patient in patients:
        notes = list(patient.todo_notes.all())
        if any(n.outcome == TodoNote.Outcome.RESOLVED and n.at >= patient.last_merge for n in notes):
            continue
        listed = " and ".join(f"{a.local_start:%a %d %b %H:%M} (#{a.pk})" for a in patient.ahead_list)
        reason = f"Merge conflict: {len(patient.ahead_list)} galactograms ahead after merging her records, {listed}"
        items.append(ReachItem(patient, reason, notes, appointments=patient.ahead_list))
    return items


def _contact_items() -> list[ReachItem]:
    patients = (
        Patient.objects.exclude(contact_flag="")
        .filter(Exists(Order.objects.filter(patient=OuterRef("pk"), status__in=OPEN_ORDERS)))
        .prefetch_related(Prefetch("todo_notes", queryset=TodoNote.objects.select_related("by")))
        .order_by("contact_flagged_at", "pk")
    )
    items = []
    for patient in patients:
        notes = list(patient.todo_notes.all())
        resolved = [n.at for n in notes if n.outcome == TodoNote.Outcome.RESOLVED]
        if resolved and max(resolved) >= patient.contact_flagged_at:
            continue
        reason = REASONS[patient.contact_flag]
        if patient.contact_flag == ContactFlag.CHECK:
            reason = f"{reason} “{patient.contact_as_sent}”"
        items.append(ReachItem(patient, reason, notes))
    return items

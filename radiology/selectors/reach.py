"""The patients the schedulers' to-do lists because the department cannot reach her as a
system sent her contact details (radiology.contact): "check contact" (what was sent does not
read as a number or address; the text is shown) and "no contact" (nothing reaches her; call
her or wait for the hospital's update). Only patients with an order still to be done; an
item resolved with a note stays off until her contact changes again (a new flag date), and
correcting her contact on the patient page clears the flag itself. Two queries.

And "merge conflict": a patient whose records the hospital merged (ADT^A40) and who now has
two or more galactograms ahead; each is named so a scheduler can cancel or keep one. It leaves
the list when only one is left ahead, or with a resolution noted after the last merge (a
second one that is wanted). A third query, only when there is such a conflict."""

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
    """One row per patient, with every reason she is listed for; the longest waiting first.
    Two queries, and a third only when there is a merge conflict to list."""
    now = now or timezone.now()
    open_order = Exists(Order.objects.filter(patient=OuterRef("pk"), status__in=OPEN_ORDERS))
    was_merged_into = Exists(Patient.objects.filter(merged_into=OuterRef("pk")))
    last_merge = Patient.objects.filter(merged_into=OuterRef("pk")).order_by("-merged_at").values("merged_at")[:1]
    ahead = Count("appointments", filter=Q(appointments__status__in=AHEAD, appointments__end__gt=now))
    patients = (
        Patient.objects.annotate(ahead=ahead, last_merge=Subquery(last_merge))
        .filter((~Q(contact_flag="") & open_order) | (was_merged_into & Q(ahead__gte=2)))
        .prefetch_related(Prefetch("todo_notes", queryset=TodoNote.objects.select_related("by")))
        .order_by("pk")
    )
    items, conflicts = [], {}
    for patient in patients:
        notes = list(patient.todo_notes.all())
        resolved = max((n.at for n in notes if n.outcome == TodoNote.Outcome.RESOLVED), default=None)
        reasons, since = [], []
        if patient.contact_flag and not (resolved and resolved >= patient.contact_flagged_at):
            reason = REASONS[patient.contact_flag]
            if patient.contact_flag == ContactFlag.CHECK:
                reason = f"{reason} “{patient.contact_as_sent}”"
            reasons.append(reason)
            since.append(patient.contact_flagged_at)
        item = ReachItem(patient, "", notes)
        if patient.last_merge and patient.ahead >= 2 and not (resolved and resolved >= patient.last_merge):  # noqa: PLR2004
            conflicts[patient.pk] = item
            since.append(patient.last_merge)
        if reasons or patient.pk in conflicts:
            item.reason = "; ".join(reasons)
            items.append((min(since), patient.pk, item))
    if conflicts:
        for appointment in Appointment.objects.filter(patient_id__in=conflicts, status__in=AHEAD, end__gt=now).order_by(
            "start", "pk"
        ):
            conflicts[appointment.patient_id].appointments.append(appointment)
        for item in conflicts.values():
            listed = " and ".join(f"{a.local_start:%a %d %b %H:%M} (#{a.pk})" for a in item.appointments)
            conflict = (
                f"Merge conflict: {len(item.appointments)} galactograms ahead after merging her records, {listed}"
            )
            item.reason = "; ".join(r for r in (item.reason, conflict) if r)
    return [item for _, _, item in sorted(items, key=lambda entry: entry[:2])]

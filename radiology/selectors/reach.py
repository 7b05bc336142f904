"""The patients the schedulers' to-do lists because the department cannot reach her as a
system sent her contact details (radiology.contact): "check contact" (what was sent does not
read as a number or address; the text is shown) and "no contact" (nothing reaches her; call
her or wait for the hospital's update). Only patients with an order still to be done; an
item resolved with a note stays off until her contact changes again (a new flag date), and
correcting her contact on the patient page clears the flag itself. Two queries."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch

from radiology.models import ContactFlag, Order, Patient, TodoNote

OPEN_ORDERS = (Order.Status.WAITING, Order.Status.SCHEDULED)


@dataclass
class ReachItem:
    patient: Patient
    reason: str
    notes: list = field(default_factory=list)

    @property
    def last_call(self):
        return self.notes[0] if self.notes else None


REASONS = {
    ContactFlag.CHECK: "Check contact: sent as",
    ContactFlag.NONE_GIVEN: "No contact: no phone or e-mail",
}


def patients_to_reach() -> list[ReachItem]:
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

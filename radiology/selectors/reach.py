"""The patients the schedulers' to-do lists because the department cannot reach her as a
system sent her contact details (radiology.contact): "check contact" (what was sent does not
read as a number or address; the text is shown) and "no contact" (nothing reaches her; call
her or wait for the hospital's update); or because the hospital's register (HL7 ADT) sent her
record without a birth date or given name ("birth date missing"). Only patients with an order
still to be done; an item resolved with a note stays off until a flag is raised again (a new
flag date), correcting her contact on the patient page clears the contact flag, and the
hospital's update with the missing details clears the other. Two queries."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Least

from radiology.models import ContactFlag, Order, Patient, TodoNote

OPEN_ORDERS = (Order.Status.WAITING, Order.Status.SCHEDULED)


@dataclass
class ReachItem:
    patient: Patient
    reasons: list[str]
    notes: list = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def last_call(self):
        return self.notes[0] if self.notes else None


REASONS = {
    ContactFlag.CHECK: "Check contact: sent as",
    ContactFlag.NONE_GIVEN: "No contact: no phone or e-mail",
}


def patients_to_reach() -> list[ReachItem]:
    patients = (
        Patient.objects.filter(~Q(contact_flag="") | Q(details_flagged_at__isnull=False))
        .filter(Exists(Order.objects.filter(patient=OuterRef("pk"), status__in=OPEN_ORDERS)))
        .prefetch_related(Prefetch("todo_notes", queryset=TodoNote.objects.select_related("by")))
        .order_by(Least("contact_flagged_at", "details_flagged_at"), "pk")
    )
    items = []
    for patient in patients:
        notes = list(patient.todo_notes.all())
        resolved = [n.at for n in notes if n.outcome == TodoNote.Outcome.RESOLVED]
        flagged = max(t for t in (patient.contact_flagged_at, patient.details_flagged_at) if t)
        if resolved and max(resolved) >= flagged:
            continue
        items.append(ReachItem(patient, _reasons(patient), notes))
    return items


def _reasons(patient: Patient) -> list[str]:
    reasons = []
    if patient.contact_flag == ContactFlag.CHECK:
        reasons.append(f"{REASONS[ContactFlag.CHECK]} “{patient.contact_as_sent}”")
    elif patient.contact_flag:
        reasons.append(REASONS[patient.contact_flag])
    if patient.details_flagged_at and patient.missing_details:
        missing = " and ".join(patient.missing_details)
        reasons.append(f"{missing[0].upper()}{missing[1:]} missing")
    return reasons

"""The patients the schedulers' to-do lists: because the department cannot reach her as a
system sent her contact details (radiology.contact): "check contact" (what was sent does not
read as a number or address; the text is shown) and "no contact" (nothing reaches her; call
her or wait for the hospital's update); because the hospital's register (HL7 ADT) sent her
record without a birth date or given name ("birth date missing"); or "merge conflict": the
hospital merged her records (ADT^A40) and she now has two or more galactograms ahead, each
named so a scheduler can cancel or keep one.

Only patients with an order still to be done (a merge conflict always). An item resolved with
a note stays off until a flag is raised again (a new flag date, or a later merge); correcting
her contact on the patient page clears the contact flag, the hospital's update with the missing
details clears the other, and a conflict leaves when only one galactogram is left ahead. Two
queries, and a third only when there is a merge conflict to list."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from notifications.models import SmsOptOut
from radiology.models import (
    UPCOMING,
    Appointment,
    AppointmentStatus,
    Channel,
    ContactFlag,
    Order,
    OrderInvitation,
    Patient,
    TodoNote,
)

OPEN_ORDERS = (Order.Status.WAITING, Order.Status.SCHEDULED)
# A galactogram she may still come to (booking's "one ahead").
AHEAD = [*UPCOMING, AppointmentStatus.CHECKED_IN]


@dataclass
class ReachItem:
    patient: Patient
    reasons: list[str]
    notes: list = field(default_factory=list)
    # For a merge conflict: her galactograms ahead, earliest first.
    appointments: list = field(default_factory=list)

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


TEXTS_STOPPED = "Texts stopped: her number replied STOP and she has no e-mail; call her with her reminders"


def patients_to_reach(*, now=None) -> list[ReachItem]:
    """One row per patient, with every reason she is listed for; the longest waiting first."""
    now = now or timezone.now()
    open_order = Exists(Order.objects.filter(patient=OuterRef("pk"), status__in=OPEN_ORDERS))
    was_merged_into = Exists(Patient.objects.filter(merged_into=OuterRef("pk")))
    last_merge = Patient.objects.filter(merged_into=OuterRef("pk")).order_by("-merged_at").values("merged_at")[:1]
    ahead = Count("appointments", filter=Q(appointments__status__in=AHEAD, appointments__end__gt=now))
    # Her number replied STOP and she has no e-mail: her reminders cannot go; a person calls.
    stopped_at = SmsOptOut.objects.filter(number=OuterRef("phone")).values("opted_out_at")[:1]
    flagged = ~Q(contact_flag="") | Q(details_flagged_at__isnull=False)
    flagged |= Q(texts_stopped_at__isnull=False, preferred_channel=Channel.SMS, email="")
    patients = (
        Patient.objects.annotate(ahead=ahead, last_merge=Subquery(last_merge), texts_stopped_at=Subquery(stopped_at))
        .filter((flagged & open_order) | (was_merged_into & Q(ahead__gte=2)))
        .prefetch_related(Prefetch("todo_notes", queryset=TodoNote.objects.select_related("by")))
        .order_by("pk")
    )
    items, conflicts = [], {}
    for patient in patients:
        notes = list(patient.todo_notes.all())
        resolved = max((n.at for n in notes if n.outcome == TodoNote.Outcome.RESOLVED), default=None)
        item = ReachItem(patient, [], notes)
        since = []
        for reason, flagged_at in _flags(patient):
            if not (resolved and resolved >= flagged_at):
                item.reasons.append(reason)
                since.append(flagged_at)
        if patient.last_merge and patient.ahead >= 2 and not (resolved and resolved >= patient.last_merge):  # noqa: PLR2004
            conflicts[patient.pk] = item
            since.append(patient.last_merge)
        if since:
            items.append((min(since), patient.pk, item))
    if conflicts:
        for appointment in Appointment.objects.filter(patient_id__in=conflicts, status__in=AHEAD, end__gt=now).order_by(
            "start", "pk"
        ):
            conflicts[appointment.patient_id].appointments.append(appointment)
        for item in conflicts.values():
            listed = " and ".join(f"{a.local_start:%a %d %b %H:%M} (#{a.pk})" for a in item.appointments)
            item.reasons.append(
                f"Merge conflict: {len(item.appointments)} galactograms ahead after merging her records, {listed}"
            )
    return [item for _, _, item in sorted(items, key=lambda entry: entry[:2])]


def _flags(patient: Patient) -> list[tuple[str, object]]:
    """Her contact and details flags, each in words with the time it was raised."""
    flags = []
    if patient.contact_flag:
        reason = REASONS[patient.contact_flag]
        if patient.contact_flag == ContactFlag.CHECK:
            reason = f"{reason} “{patient.contact_as_sent}”"
        flags.append((reason, patient.contact_flagged_at))
    if patient.texts_stopped_at and patient.preferred_channel == Channel.SMS and not patient.email:
        flags.append((TEXTS_STOPPED, patient.texts_stopped_at))
    if patient.details_flagged_at and patient.missing_details:
        missing = " and ".join(patient.missing_details)
        flags.append((f"{missing[0].upper()}{missing[1:]} missing", patient.details_flagged_at))
    return flags


def unanswered_invitations() -> list[OrderInvitation]:
    """Invitations to book that she has not answered in ORDER_INVITATION_TODO_AFTER_HOURS (the
    beat reached their step): a scheduler calls her. Booking the order, or marking it done,
    takes it off. One query."""
    return list(
        OrderInvitation.objects.filter(
            status=OrderInvitation.Status.OPEN, todo_reached_at__isnull=False, order__patient__deceased=False
        )
        .select_related("order__patient", "order__procedure")
        .order_by("todo_due_at", "pk")
    )

"""Merging two records of one patient, and changing a patient's identifier, as the hospital's
patient administration tells (HL7 ADT^A40/A34/A39 and A47; IHE RAD-12).

A merge moves everything of the merged-away record X to the survivor Y in one transaction:
her appointments (with their transition log, answers, checklist and outcome, which hang on
the appointment), her orders (with their interface messages), her to-do notes, her result
letters and the records merged into X before. Her messages not yet out follow: their subject
is the appointment, and they are re-addressed to Y's contact as the contact page does. X is kept, pointing to Y
(`merged_into`), so an old link or id still leads to her; search never finds it. A merge into
an MRN the department has never seen renames X (nothing to merge into). A merge that leaves
her with two galactograms ahead is applied all the same (the hospital has decided they are one
person) and both are listed on the schedulers' to-do (radiology.selectors.reach). A merge
already applied is applied again as nothing: the hospital's engine resends.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from radiology import rules
from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentStatus, Order, Patient, ResultLetter, TodoNote
from radiology.services import reminders

# A galactogram she may still come to: what booking counts as "one ahead".
AHEAD = [
    AppointmentStatus.BOOKED,
    AppointmentStatus.PREP_SENT,
    AppointmentStatus.REMINDED,
    AppointmentStatus.CHECKED_IN,
]


@dataclass
class MergeResult:
    """What a merge did: `merged`, `renamed` (the survivor's MRN was new here), `already`
    (applied before: nothing changed) or `unknown` (X is not known here: nothing to move)."""

    outcome: str
    survivor: Patient | None
    moved_appointments: int = 0
    moved_orders: int = 0
    readdressed: int = 0
    conflicts: list[Appointment] = field(default_factory=list)


def survivor_of(patient: Patient) -> Patient:
    """The record that holds a merged patient's data now (itself when not merged)."""
    seen = set()
    while patient.merged_into_id is not None and patient.pk not in seen:
        seen.add(patient.pk)
        patient = patient.merged_into
    return patient


def survivor_for_mrn(mrn: str) -> Patient | None:
    """The patient an identifier names today: the survivor when it names a merged record."""
    patient = Patient.objects.filter(mrn__iexact=mrn.strip()).select_related("merged_into").first()
    return survivor_of(patient) if patient is not None else None


def galactograms_ahead(patient: Patient, *, now: datetime) -> list[Appointment]:
    return list(Appointment.objects.filter(patient=patient, status__in=AHEAD, end__gt=now).order_by("start", "pk"))


def merge_patients(*, from_mrn: str, into_mrn: str, actor, now: datetime) -> MergeResult:
    """Merge the record with MRN `from_mrn` into the one with `into_mrn` (see the module's rule).
    Refused (conflict) when X was merged into another patient before, or when Y is itself a
    merged record; `not_allowed` when both MRNs name one record."""
    if actor is not None and not actor.has_perm("radiology.change_patient"):
        raise ServiceRefusal("Your role does not allow merging patients.", code="forbidden")
    from_mrn, into_mrn = from_mrn.strip(), into_mrn.strip()
    if from_mrn.lower() == into_mrn.lower():
        raise ServiceRefusal(
            f"The merged-away MRN and the surviving MRN are both {into_mrn}: nothing to merge.",
            code="not_allowed",
            fields={"mrn": "The two MRNs are the same."},
        )
    _check_mrn(into_mrn)
    with transaction.atomic():
        rows = {
            p.mrn.lower(): p
            for p in Patient.objects.select_for_update().filter(Q(mrn__iexact=from_mrn) | Q(mrn__iexact=into_mrn))
        }
        merged_away, survivor = rows.get(from_mrn.lower()), rows.get(into_mrn.lower())
        if merged_away is None:
            return MergeResult("unknown", survivor)
        if merged_away.merged_into_id is not None:
            already = survivor_of(merged_away)
            if survivor is not None and already.pk == survivor_of(survivor).pk:
                return MergeResult("already", already)
            raise ServiceRefusal(
                f"MRN {from_mrn} was merged into MRN {already.mrn} before; it cannot be merged into {into_mrn} too.",
                code="conflict",
                fields={"mrn": f"Merged into {already.mrn}."},
            )
        if survivor is None:
            return _rename(merged_away, mrn=into_mrn, reason=f"Merged into MRN {into_mrn}, new here: renamed")
        if survivor.merged_into_id is not None:
            raise ServiceRefusal(
                f"MRN {into_mrn} was itself merged into MRN {survivor_of(survivor).mrn}; merge into that one.",
                code="conflict",
                fields={"mrn": f"MRN {into_mrn} is a merged record."},
            )
        return _merge(merged_away, survivor, now=now)


def _merge(merged_away: Patient, survivor: Patient, *, now: datetime) -> MergeResult:
    # updated_at by hand: update() skips auto_now, and FHIR clients poll _lastUpdated.
    moved_appointments = Appointment.objects.filter(patient=merged_away).update(patient=survivor, updated_at=now)
    moved_orders = Order.objects.filter(patient=merged_away).update(patient=survivor, updated_at=now)
    TodoNote.objects.filter(patient=merged_away).update(patient=survivor)
    ResultLetter.objects.filter(patient=merged_away).update(patient=survivor)
    # Records merged into X before now lead straight to Y (no chains to follow).
    Patient.objects.filter(merged_into=merged_away).update(merged_into=survivor)
    merged_away.merged_into, merged_away.merged_at = survivor, now
    merged_away._change_reason = f"Merged into MRN {survivor.mrn}"  # noqa: SLF001 - django-simple-history's hook
    merged_away.save(update_fields=["merged_into", "merged_at"])
    readdressed = 0
    reachable = not rules.unreachable(
        preferred_channel=survivor.preferred_channel, phone=survivor.phone, email=survivor.email
    )
    if reachable:
        # Her messages not yet out go where the surviving record reaches her.
        readdressed = reminders.on_contact_changed(patient=survivor, now=now)
    ahead = galactograms_ahead(survivor, now=now)
    return MergeResult(
        "merged",
        survivor,
        moved_appointments=moved_appointments,
        moved_orders=moved_orders,
        readdressed=readdressed,
        conflicts=ahead if len(ahead) > 1 else [],
    )


def _check_mrn(mrn: str) -> None:
    if not re.fullmatch(rules.MRN_PATTERN, mrn):
        raise ServiceRefusal(f"MRN {mrn!r}: {rules.MRN_MESSAGE}", code="invalid", fields={"mrn": rules.MRN_MESSAGE})


def _rename(patient: Patient, *, mrn: str, reason: str) -> MergeResult:
    patient.mrn = mrn
    patient._change_reason = reason  # noqa: SLF001 - django-simple-history's hook
    patient.save(update_fields=["mrn"])
    return MergeResult("renamed", patient)


def change_identifier(*, old_mrn: str, new_mrn: str, actor, now: datetime) -> MergeResult:
    """A patient's MRN changes (HL7 ADT^A47): the record keeps everything under the new one.
    To an MRN another patient already has: refused (conflict), name both; the hospital merges
    (A40) when they are one person. An old MRN not known here changes nothing (`unknown`); a
    change already applied (the old MRN gone, the new one here) is `already`."""
    if actor is not None and not actor.has_perm("radiology.change_patient"):
        raise ServiceRefusal("Your role does not allow changing patients.", code="forbidden")
    old_mrn, new_mrn = old_mrn.strip(), new_mrn.strip()
    _check_mrn(new_mrn)
    with transaction.atomic():
        rows = {
            p.mrn.lower(): p
            for p in Patient.objects.select_for_update().filter(Q(mrn__iexact=old_mrn) | Q(mrn__iexact=new_mrn))
        }
        patient, holder = rows.get(old_mrn.lower()), rows.get(new_mrn.lower())
        if patient is None:
            return MergeResult("already" if holder is not None else "unknown", holder)
        if old_mrn.lower() == new_mrn.lower():
            return _rename(patient, mrn=new_mrn, reason=f"Identifier {old_mrn} written as {new_mrn}")
        if holder is not None:
            raise ServiceRefusal(
                f"MRN {new_mrn} already belongs to another patient ({holder.full_name}, patient id {holder.pk}); "
                f"MRN {old_mrn} was not changed. If they are one person, merge them (ADT^A40).",
                code="conflict",
                fields={"mrn": f"MRN {new_mrn} is taken."},
                existing_patient_id=holder.pk,
            )
        return _rename(patient, mrn=new_mrn, reason=f"Identifier changed from MRN {old_mrn}")

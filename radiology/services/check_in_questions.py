"""Pregnancy and breastfeeding at check-in: when they are asked, and what a positive answer does.

A galactogram is X-ray imaging with contrast injected into a duct. Pregnancy is a reason not to
go ahead (radiation, and discharge in pregnancy is usually physiological); breastfeeding is a
relative contraindication (a lactating breast discharges milk from many ducts, so the duct of
the abnormal discharge cannot be told apart, and cannulating a lactating duct risks mastitis).
Either way the radiologist decides, so a positive answer stops the check-in as "no discharge
today" does: the way out is the radiologist's decision, either "did not proceed" with the
reason or going ahead with the radiologist named and the reason recorded.

The questions are settled without asking (and recorded as settled by what) when:
- she is male (neither applies);
- she is CHECK_IN_PREGNANCY_AGE_LIMIT (55) or older: past menopause neither is a question;
- her order, received within CHECK_IN_ORDER_PREGNANCY_DAYS (7) days, states it: the
  referrer's "not pregnant" or "lactating: no" from last week still holds; an older statement
  is asked again.
An answer given at check-in always counts over a settled one (what she says on the day wins).
The page, the API and any other door call check_in_patient, which calls `resolve` here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from radiology.models import CheckInChecklist, Order, Patient, StaffMember
from scheduling.clinic_time import to_local

Pregnancy = CheckInChecklist.Pregnancy
SettledBy = CheckInChecklist.SettledBy
POSITIVE_PREGNANCY = (Pregnancy.POSSIBLE, Pregnancy.PREGNANT)

ASK_PREGNANCY = "Ask whether she is or may be pregnant."
ASK_BREASTFEEDING = "Ask whether she is breastfeeding."


@dataclass(frozen=True)
class Settled:
    """An answer known without asking, and where it came from."""

    answer: object  # a Pregnancy value, or True/False for breastfeeding
    by: str  # a SettledBy value

    @property
    def text(self) -> str:
        answer = Pregnancy(self.answer).label if isinstance(self.answer, str) else ("Yes" if self.answer else "No")
        return f"{answer} ({SettledBy(self.by).label.lower()})"


@dataclass(frozen=True)
class Questions:
    """What check-in must ask: None for a question to ask, or how it is settled."""

    pregnancy: Settled | None
    breastfeeding: Settled | None


def _order_is_recent(order: Order, now: datetime) -> bool:
    return now - order.received_at <= timedelta(days=settings.CHECK_IN_ORDER_PREGNANCY_DAYS)


def questions_for(appointment, *, now: datetime) -> Questions:
    """Which of the two questions the order, her age or her sex already settle."""
    patient: Patient = appointment.patient
    if patient.sex == Patient.Sex.MALE:
        return Questions(Settled(Pregnancy.NOT_PREGNANT, SettledBy.SEX), Settled(False, SettledBy.SEX))
    age = patient.age_on(to_local(now).date())
    if age is not None and age >= settings.CHECK_IN_PREGNANCY_AGE_LIMIT:
        return Questions(Settled(Pregnancy.NOT_PREGNANT, SettledBy.AGE), Settled(False, SettledBy.AGE))
    order = appointment.order
    pregnancy = breastfeeding = None
    if order is not None and _order_is_recent(order, now):
        if order.pregnancy_status in Pregnancy.values:
            pregnancy = Settled(order.pregnancy_status, SettledBy.ORDER)
        if order.lactating is not None:
            breastfeeding = Settled(order.lactating, SettledBy.ORDER)
    return Questions(pregnancy, breastfeeding)


@dataclass(frozen=True)
class Resolved:
    """The checklist's answers with their sources, what is missing, and what stops check-in."""

    pregnancy: str = ""
    pregnancy_settled_by: str = ""
    breastfeeding: bool | None = None
    breastfeeding_settled_by: str = ""
    missing: dict = None
    positive: dict = None


def resolve(appointment, *, pregnancy: str, breastfeeding: bool | None, now: datetime) -> Resolved:
    """resolve_answers for this appointment's questions now."""
    return resolve_answers(questions_for(appointment, now=now), pregnancy=pregnancy, breastfeeding=breastfeeding)


def resolve_answers(settled: Questions, *, pregnancy: str, breastfeeding: bool | None) -> Resolved:
    """The answers given at check-in (they count) or the settled ones; the unanswered ones
    that must be asked; the positive ones that need the radiologist's decision (keyed as
    their "did not proceed" reason codes: pregnancy, breastfeeding)."""
    missing, positive = {}, {}
    if pregnancy:
        if pregnancy not in Pregnancy.values:
            missing["pregnancy"] = "Answer not pregnant, possibly pregnant or pregnant."
        pregnancy_by = SettledBy.ASKED
    elif settled.pregnancy is not None:
        pregnancy, pregnancy_by = settled.pregnancy.answer, settled.pregnancy.by
    else:
        missing["pregnancy"], pregnancy_by = ASK_PREGNANCY, ""
    if breastfeeding is not None:
        breastfeeding_by = SettledBy.ASKED
    elif settled.breastfeeding is not None:
        breastfeeding, breastfeeding_by = settled.breastfeeding.answer, settled.breastfeeding.by
    else:
        missing["breastfeeding"], breastfeeding_by = ASK_BREASTFEEDING, ""
    if pregnancy in POSITIVE_PREGNANCY:
        positive["pregnancy"] = f"{Pregnancy(pregnancy).label}: the radiologist decides whether to go ahead."
    if breastfeeding:
        positive["breastfeeding"] = "Breastfeeding: the radiologist decides whether to go ahead."
    return Resolved(
        pregnancy=pregnancy if "pregnancy" not in missing else "",
        pregnancy_settled_by=pregnancy_by if "pregnancy" not in missing else "",
        breastfeeding=breastfeeding,
        breastfeeding_settled_by=breastfeeding_by,
        missing=missing,
        positive=positive,
    )


def clearance_problems(resolved: Resolved, *, cleared_by: StaffMember | None, reason: str) -> dict:
    """A positive answer passes only with a radiologist named and the reason for going ahead."""
    if not resolved.positive:
        return {}
    problems = {}
    if cleared_by is None:
        problems.update(resolved.positive)
    elif cleared_by.role != StaffMember.Role.RADIOLOGIST:
        problems["cleared_by"] = f"{cleared_by.name} is not a radiologist: only a radiologist decides to go ahead."
    if cleared_by is not None and not reason.strip():
        problems["clearance_reason"] = "Say why the radiologist decided to go ahead (e.g. pregnancy test negative)."
    return problems


def stop_message(positive: dict) -> str:
    """What the technologist reads when a positive answer stops check-in: the way out."""
    what = " and ".join(
        {"pregnancy": "she is or may be pregnant", "breastfeeding": "she is breastfeeding"}[name] for name in positive
    )
    return (
        f"Not checked in: {what}. The radiologist decides: record “did not proceed” with that reason (she goes "
        "on the schedulers' list to rebook), or, if the radiologist decides to go ahead, name the radiologist "
        "and the reason and check in again."
    )

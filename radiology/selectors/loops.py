"""Reads of the two loops (tracked follow-ups, rebooking after a missed visit), each a fixed
number of queries whatever the number of rows: the lists, the to-do's loop tasks, the
dashboard's figures."""

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q

from radiology.models import TODO_STEPS, EscalationRule, FollowUp, Loop, LoopStep, Rebooking
from radiology.selectors.letters import letters_on_time

St = FollowUp.State
STEPS = Prefetch("steps", queryset=LoopStep.objects.order_by("due_at", "pk"))


def _with_people(rows):
    return rows.select_related(
        "appointment__patient", "appointment__order", "booked_appointment", "booked_order", "done_appointment"
    ).prefetch_related(STEPS)


def follow_ups_of(appointment_ids) -> dict[int, list[FollowUp]]:
    """Each appointment's follow-ups with their steps (two queries for a page of appointments)."""
    by_appointment: dict[int, list[FollowUp]] = {}
    for follow_up in FollowUp.objects.filter(appointment_id__in=appointment_ids).prefetch_related(STEPS):
        by_appointment.setdefault(follow_up.appointment_id, []).append(follow_up)
    return by_appointment


def follow_up_list(*, now: datetime, state: str | None = None, overdue: bool = False):
    """Follow-ups by state; overdue: open (not booked, done or closed) with the due time past."""
    rows = FollowUp.objects.all()
    if state:
        rows = rows.filter(state=state)
    if overdue:
        rows = rows.filter(state=St.OPEN, due_at__lt=now)
    return _with_people(rows).order_by("due_at", "pk")


def lost_to_follow_up(*, now: datetime):
    """Open follow-ups whose every escalation step has been reached: the department did all it
    plans to do and she is still not booked. The manager's list, most overdue first."""
    planned = Q(steps__status=LoopStep.Status.PLANNED)
    rows = (
        FollowUp.objects.filter(state=St.OPEN, due_at__lt=now)
        .annotate(
            planned=Count("steps", filter=planned), steps_total=Count("steps"), last_step=Max("steps__reached_at")
        )
        .filter(planned=0, steps_total__gt=0)
    )
    return _with_people(rows).order_by("due_at", "pk")


@dataclass(frozen=True)
class LoopTask:
    """A reached to-do step not yet handled: call her, or tell the referring physician."""

    step: LoopStep
    patient: object
    appointment: object
    order: object
    about: str  # "follow_up" or "rebooking"


def loop_tasks() -> list[LoopTask]:
    """The to-do's loop tasks, oldest first (one query)."""
    steps = (
        LoopStep.objects.filter(status=LoopStep.Status.REACHED, handled_at__isnull=True, kind__in=TODO_STEPS)
        .filter(
            Q(follow_up__state=St.OPEN) | Q(rebooking__state__in=[Rebooking.State.WAITING, Rebooking.State.FLAGGED])
        )
        .select_related(
            "follow_up__appointment__patient",
            "follow_up__appointment__order",
            "rebooking__missed_appointment__patient",
            "rebooking__order",
        )
        .order_by("due_at", "pk")
    )
    tasks = []
    for step in steps:
        if step.follow_up_id:
            appointment = step.follow_up.appointment
            tasks.append(LoopTask(step, appointment.patient, appointment, appointment.order, "follow_up"))
        else:
            appointment = step.rebooking.missed_appointment
            tasks.append(LoopTask(step, appointment.patient, appointment, step.rebooking.order, "rebooking"))
    return tasks


@dataclass(frozen=True)
class LoopFigures:
    follow_ups_due: int  # due in the period (not closed)
    follow_ups_done_on_time: int
    follow_ups_open_past_due: int  # open or booked, due before now
    lost_to_follow_up: int
    letters_on_time: float | None  # % of the letters due in the period sent by their due time
    missed: int  # no-shows and did-not-proceed in the period with a rebooking loop
    rebooked: int
    median_days_to_rebook: float | None

    @property
    def done_on_time_rate(self) -> float | None:
        return self.follow_ups_done_on_time / self.follow_ups_due if self.follow_ups_due else None


def loop_figures(*, start: datetime, end: datetime, now: datetime) -> LoopFigures:
    """The dashboard's loop figures for [start, end): three queries, whatever the rows."""
    planned = LoopStep.objects.filter(follow_up=OuterRef("pk"), status=LoopStep.Status.PLANNED)
    counts = (
        FollowUp.objects.annotate(
            has_planned=Exists(planned), has_steps=Exists(LoopStep.objects.filter(follow_up=OuterRef("pk")))
        )
        .filter(Q(due_at__gte=start, due_at__lt=end) | Q(state__in=[St.OPEN, St.BOOKED], due_at__lt=now))
        .aggregate(
            due=Count("pk", filter=Q(due_at__gte=start, due_at__lt=end) & ~Q(state=St.CLOSED)),
            on_time=Count("pk", filter=Q(due_at__gte=start, due_at__lt=end, state=St.DONE, done_at__lte=F("due_at"))),
            past_due=Count("pk", filter=Q(state__in=[St.OPEN, St.BOOKED], due_at__lt=now)),
            lost=Count("pk", filter=Q(state=St.OPEN, due_at__lt=now, has_planned=False, has_steps=True)),
        )
    )
    missed = list(
        Rebooking.objects.filter(missed_at__gte=start, missed_at__lt=end).values_list("missed_at", "rebooked_at")
    )
    delays = [(rebooked - at).total_seconds() / 86400 for at, rebooked in missed if rebooked is not None]
    return LoopFigures(
        follow_ups_due=counts["due"],
        follow_ups_done_on_time=counts["on_time"],
        follow_ups_open_past_due=counts["past_due"],
        lost_to_follow_up=counts["lost"],
        letters_on_time=letters_on_time(start=start, end=end),
        missed=len(missed),
        rebooked=len(delays),
        median_days_to_rebook=round(median(delays), 1) if delays else None,
    )


def escalation_schedule(loop: str = Loop.FOLLOW_UP) -> list[EscalationRule]:
    return list(EscalationRule.objects.filter(loop=loop, active=True))

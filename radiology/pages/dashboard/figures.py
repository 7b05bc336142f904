"""The department's figures for a period: a fixed number of aggregate queries."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import mean, median

from django.db.models import Count, OuterRef, Subquery

from notifications.models import Message
from notifications.registry import kind_label
from procedures.reasons import CancelReason
from radiology.models import Appointment, AppointmentStatus, AppointmentTransition, Room, appointment_reference
from radiology.presentation.flow import FLOW_STATES, flow_state
from radiology.services import told_table
from scheduling.clinic_time import clinic_zone, local_day_bounds
from scheduling.models import WorkingHours

FINAL = [
    AppointmentStatus.COMPLETED,
    AppointmentStatus.FOLLOW_UP,
    AppointmentStatus.INCOMPLETE,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED,
]
ATTENDED_OR_MISSED = {"completed", "follow_up", "incomplete", "no_show"}
LEAD_BUCKETS = [("< 2 days", 2), ("2–6 days", 7), ("7–13 days", 14), ("14–27 days", 28), ("28 days +", None)]


@dataclass
class Figures:
    by_state: list[tuple[str, int]]
    by_flow: list[tuple[str, int, str]]  # (flow state, count, its colour): the day list's colours
    no_show_rate: float | None
    no_shows: int
    due_to_happen: int
    cancellations: list[tuple[str, int]]
    mean_actual_minutes: float | None
    mean_slot_minutes: float | None
    durations: list[tuple[str, float]]
    lead_buckets: list[tuple[str, int]]
    median_lead_days: float | None
    utilisation: dict[str, list[tuple[date, float]]]
    reminders: list[tuple[str, int, int, int]]
    total: int


def period_appointments(start_day: date, end_day: date):
    start, _ = local_day_bounds(start_day)
    _, end = local_day_bounds(end_day)
    return Appointment.objects.filter(start__gte=start, start__lt=end)


def _booked_at():
    """When the booking was made: the logged "book" transition (the row's created_at for
    appointments that came in some other way, e.g. imported)."""
    booking = AppointmentTransition.objects.filter(appointment=OuterRef("pk"), action="book").order_by("at")
    return Subquery(booking.values("at")[:1])


def lead_days(start, booked_at) -> float:
    """Days from booking to the appointment; never below zero (a walk-in booked after its
    start time is a zero-day lead, not a negative one), and never "-0.0"."""
    return max((start - booked_at).total_seconds() / 86400, 0.0) + 0.0


def cancellation_group(code: str, reason: str) -> str:
    """The reason's code in words (CancelReason); for rows from before the codes, the text
    up to any ":" or " — " detail, so the same reason typed twice counts once."""
    if code:
        return CancelReason(code).label if code in CancelReason.values else code
    head = reason.replace(" — ", ":").split(":", 1)[0].strip()
    return head[:1].upper() + head[1:].lower() if head else "No reason given"


def department_figures(*, start_day: date, end_day: date) -> Figures:
    zone = clinic_zone()
    rows = list(
        period_appointments(start_day, end_day)
        .annotate(booked_at=_booked_at())
        .values(
            "pk",
            "status",
            "start",
            "end",
            "duration_minutes",
            "room__name",
            "room__resource_id",
            "cancel_reason",
            "cancel_reason_code",
            "created_at",
            "booked_at",
            "started_at",
            "performed_at",
        )
    )
    states = Counter(r["status"] for r in rows)
    due = sum(states[s] for s in ATTENDED_OR_MISSED)
    # The time in the room: from the start to the exam done (the outcome may be recorded later).
    actual = [
        ((r["performed_at"] - r["started_at"]).total_seconds() / 60, r["duration_minutes"])
        for r in rows
        if r["started_at"] and r["performed_at"]
    ]
    by_slot = defaultdict(list)
    for minutes, slot in actual:
        by_slot[slot].append(minutes)
    leads = [lead_days(r["start"], r["booked_at"] or r["created_at"]) for r in rows]
    flows = Counter(flow_state(r["status"]).key for r in rows)
    buckets = Counter()
    for days in leads:
        label = next(name for name, limit in LEAD_BUCKETS if limit is None or days < limit)
        buckets[label] += 1
    return Figures(
        by_state=[(AppointmentStatus(s).label, states[s]) for s in AppointmentStatus.values if states[s]],
        by_flow=[(f.label, flows[f.key], f.colour) for f in FLOW_STATES.values() if flows[f.key]],
        no_show_rate=round(states["no_show"] / due * 100, 1) if due else None,
        no_shows=states["no_show"],
        due_to_happen=due,
        cancellations=Counter(
            cancellation_group(r["cancel_reason_code"], r["cancel_reason"]) for r in rows if r["status"] == "cancelled"
        ).most_common(),
        mean_actual_minutes=round(mean(m for m, _ in actual), 1) if actual else None,
        mean_slot_minutes=round(mean(s for _, s in actual), 1) if actual else None,
        durations=[(f"{slot}-minute slot", round(mean(mins), 1)) for slot, mins in sorted(by_slot.items())],
        lead_buckets=[(name, buckets[name]) for name, _ in LEAD_BUCKETS],
        median_lead_days=round(median(leads), 1) + 0.0 if leads else None,
        utilisation=_utilisation(rows, start_day, end_day, zone),
        reminders=_reminders([r["pk"] for r in rows]),
        total=len(rows),
    )


def _utilisation(rows, start_day, end_day, zone) -> dict[str, list[tuple[date, float]]]:
    """Booked minutes (not cancelled) over the room's working minutes, per room and day."""
    rooms = list(Room.objects.values_list("name", "resource_id"))
    hours = defaultdict(lambda: defaultdict(int))
    for rid, weekday, s, e in WorkingHours.objects.filter(resource_id__in=[r for _, r in rooms]).values_list(
        "resource_id", "weekday", "start_time", "end_time"
    ):
        hours[rid][weekday] += (datetime.combine(date.min, e) - datetime.combine(date.min, s)).seconds // 60
    booked = defaultdict(int)
    for r in rows:
        if r["status"] != "cancelled":
            booked[(r["room__name"], r["start"].astimezone(zone).date())] += r["duration_minutes"]
    days = [start_day + timedelta(days=n) for n in range((end_day - start_day).days + 1)]
    result = {}
    for name, rid in rooms:
        series = [
            (day, round(booked[(name, day)] / hours[rid][day.weekday()] * 100, 1))
            for day in days
            if hours[rid][day.weekday()]
        ]
        result[name] = series
    return result


def _reminders(appointment_ids: list[int]) -> list[tuple[str, int, int, int]]:
    """Sent, failed and skipped messages per kind for the period's appointments."""
    counts = (
        Message.objects.filter(
            subject__in=[appointment_reference(pk) for pk in appointment_ids], status__in=["sent", "failed", "skipped"]
        )
        .values("kind", "status")
        .annotate(n=Count("pk"))
    )
    table = defaultdict(Counter)
    for row in counts:
        table[row["kind"]][row["status"]] = row["n"]
    return [(kind_label(kind), c["sent"], c["failed"], c["skipped"]) for kind, c in sorted(table.items())]


CSV_COLUMNS = [
    "id",
    "start_local",
    "end_local",
    "slot_minutes",
    "status",
    "status_label",
    "fhir_status",
    "mrn",
    "accession_number",
    "side",
    "indication",
    "room",
    "radiologist",
    "technologist_or_nurse",
    "booked_at",
    "checked_in_at",
    "started_at",
    "performed_at",
    "completed_at",
    "actual_minutes",
    "ducts",
    "cpt_codes",
    "contrast_volume_ml",
    "complications",
    "complication_note",
    "follow_up",
    "follow_up_when",
    "follow_up_reason",
    "cancel_reason_code",
    "cancel_reason",
    "abort_reason",
]


def csv_rows(*, start_day: date, end_day: date):
    """One row per appointment: what happened, when and by whom; MRN, not names."""
    zone = clinic_zone()
    appointments = (
        period_appointments(start_day, end_day)
        .select_related(
            "patient", "order", "room", "radiologist__user", "technologist__user", "outcome", "follow_up_plan"
        )
        .order_by("start")
    )

    def local(moment):
        return moment.astimezone(zone).isoformat(timespec="minutes") if moment else ""

    for a in appointments:
        outcome = getattr(a, "outcome", None)  # reverse one-to-ones: absent until recorded
        plan = getattr(a, "follow_up_plan", None)
        actual = round((a.performed_at - a.started_at).total_seconds() / 60) if a.started_at and a.performed_at else ""
        yield [
            a.pk,
            local(a.start),
            local(a.end),
            a.duration_minutes,
            a.status,
            a.get_status_display(),
            told_table.fhir_status(a.status),
            a.patient.mrn,
            a.order.accession_number,
            a.order.get_side_display() if a.order.side else "",
            a.order.get_indication_display() if a.order.indication else "",
            a.room.name,
            a.radiologist.name,
            a.technologist.name,
            local(a.created_at),
            local(a.checked_in_at),
            local(a.started_at),
            local(a.performed_at),
            local(a.completed_at),
            actual,
            outcome.ducts if outcome else "",
            f"{outcome.injection_cpt} {outcome.imaging_cpt}" if outcome else "",
            outcome.contrast_volume_ml if outcome else "",
            " ".join(outcome.complications) if outcome else "",
            outcome.complication_note if outcome else "",
            plan.kind if plan else "",
            local(plan.scheduled_for) if plan else "",
            plan.reason if plan else "",
            a.cancel_reason_code,
            a.cancel_reason,
            a.abort_reason,
        ]

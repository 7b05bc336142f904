"""The calendar engine: find times when several resources are free together, and hold them.

Knows nothing of patients or appointments. Free time of a resource = its weekly working
hours (local wall clock, so right on DST days) minus its unavailability minus its active
reservations. A slot search loads all of that for every candidate in three queries,
whatever the number of bookings, then works on sorted interval lists in memory.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from scheduling.clinic_time import clinic_zone
from scheduling.models import Reservation, Resource, Unavailability, WorkingHours

Interval = tuple[datetime, datetime]


class SlotTaken(Exception):
    """Another booking holds one of the resources for part of the period."""


@dataclass(frozen=True)
class Requirement:
    """ "One of these resources", e.g. one of the mammography rooms.

    extra_minutes: time the resource stays held after the slot (room turnover)."""

    label: str
    candidates: Sequence[Resource]
    extra_minutes: int = 0


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    resources: dict[str, Resource] = field(hash=False)


# --- free time -------------------------------------------------------------------------


class FreeTime:
    """Free intervals per resource over a period, loaded in three queries."""

    def __init__(
        self,
        resources: Iterable[Resource],
        start: datetime,
        end: datetime,
        *,
        exclude_holder=None,
        with_reservations: bool = True,
    ):
        self.zone = clinic_zone()
        ids = {r.pk for r in resources}
        hours = defaultdict(list)
        for rid, weekday, s, e in WorkingHours.objects.filter(resource_id__in=ids).values_list(
            "resource_id", "weekday", "start_time", "end_time"
        ):
            hours[rid].append((weekday, s, e))
        busy = defaultdict(list)
        for rid, s, e in Unavailability.objects.filter(resource_id__in=ids, start__lt=end, end__gt=start).values_list(
            "resource_id", "start", "end"
        ):
            busy[rid].append((s, e))
        reservations = Reservation.objects.filter(resource_id__in=ids, active=True, start__lt=end, end__gt=start)
        if exclude_holder:
            reservations = reservations.exclude(holder=exclude_holder)
        if with_reservations:
            for rid, s, e in reservations.values_list("resource_id", "start", "end"):
                busy[rid].append((s, e))
        self._free: dict[int, tuple[list[datetime], list[datetime]]] = {}
        for rid in ids:
            free = _subtract(self._working(hours[rid], start, end), sorted(busy[rid]))
            self._free[rid] = ([s for s, _ in free], [e for _, e in free])

    def _working(self, blocks, start: datetime, end: datetime) -> list[Interval]:
        """Working-hours intervals (UTC) for each local day touching [start, end)."""
        intervals = []
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            for weekday, s, e in blocks:
                if weekday == day.weekday():
                    intervals.append((_at(day, s, self.zone), _at(day, e, self.zone)))
            day += timedelta(days=1)
        return _merge(sorted(intervals))

    def is_free(self, resource_id: int, start: datetime, end: datetime) -> bool:
        starts, ends = self._free.get(resource_id, ([], []))
        i = bisect_right(starts, start) - 1
        return i >= 0 and ends[i] >= end


def _at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for s, e in intervals:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _subtract(free: list[Interval], busy: list[Interval]) -> list[Interval]:
    result = []
    for s, e in free:
        cursor = s
        for bs, be in busy:
            if be <= cursor or bs >= e:
                continue
            if bs > cursor:
                result.append((cursor, bs))
            cursor = max(cursor, be)
            if cursor >= e:
                break
        if cursor < e:
            result.append((cursor, e))
    return result


# --- search ----------------------------------------------------------------------------


def grid_starts(start: datetime, end: datetime, grid: timedelta) -> Iterable[datetime]:
    """Starts aligned to the local clock (hh:00, hh:15, …) in [start, end), as UTC."""
    zone = clinic_zone()
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    step = max(int(grid.total_seconds() // 60), 1)
    while day <= last:
        for minute in range(0, 24 * 60, step):
            moment = _at(day, time(minute // 60, minute % 60), zone)
            if start <= moment < end:
                yield moment
        day += timedelta(days=1)


def first_fit(
    *,
    requirements: Sequence[Requirement],
    starts: Iterable[datetime],
    duration: timedelta,
    free: FreeTime,
    extra_busy: Sequence[Interval] = (),
    limit: int = 20,
) -> list[Slot]:
    """For each start in order, the first free candidate of every requirement."""
    slots: list[Slot] = []
    for start in starts:
        end = start + duration
        if any(s < end and start < e for s, e in extra_busy):
            continue
        chosen = {}
        for requirement in requirements:
            held_until = end + timedelta(minutes=requirement.extra_minutes)
            pick = next((r for r in requirement.candidates if free.is_free(r.pk, start, held_until)), None)
            if pick is None:
                break
            chosen[requirement.label] = pick
        else:
            slots.append(Slot(start=start, end=end, resources=chosen))
            if len(slots) >= limit:
                break
    return slots


def find_slots(
    *,
    requirements: Sequence[Requirement],
    start: datetime,
    end: datetime,
    duration: timedelta,
    grid: timedelta = timedelta(minutes=15),
    limit: int = 20,
    not_before: datetime | None = None,
    exclude_holder: str | None = None,
    extra_busy: Sequence[Interval] = (),
) -> list[Slot]:
    """The earliest `limit` grid starts in [start, end) at which every requirement has a
    free candidate for `duration` (plus its extra minutes)."""
    if not_before and not_before > start:
        start = not_before
    if start >= end or not requirements:
        return []
    padding = timedelta(minutes=max(r.extra_minutes for r in requirements)) + duration
    free = FreeTime(
        [r for req in requirements for r in req.candidates], start, end + padding, exclude_holder=exclude_holder
    )
    return first_fit(
        requirements=requirements,
        starts=grid_starts(start, end, grid),
        duration=duration,
        free=free,
        extra_busy=extra_busy,
        limit=limit,
    )


# --- holding time ----------------------------------------------------------------------


def reserve(*, holds: Sequence[tuple[Resource, datetime, datetime]], holder: str) -> list[Reservation]:
    """Hold every (resource, start, end) for `holder`, all or nothing; raise SlotTaken.

    On PostgreSQL the exclusion constraint decides: a rival's overlapping insert waits for
    our commit and then fails. Rows go in in resource-id order, so two bookers wanting the
    same resources queue up rather than deadlock. Elsewhere (SQLite, which locks the whole
    file for a write transaction) the overlap is checked here before inserting.
    Call it inside the caller's transaction: a SlotTaken must roll that back.
    """
    ordered = sorted(holds, key=lambda hold: hold[0].pk)
    try:
        with transaction.atomic(savepoint=False):
            if connection.vendor != "postgresql":
                overlap = Q()
                for resource, start, end in ordered:
                    overlap |= Q(resource=resource, start__lt=end, end__gt=start)
                if Reservation.objects.filter(overlap, active=True).exists():
                    raise SlotTaken
            return Reservation.objects.bulk_create(
                Reservation(resource=resource, start=start, end=end, holder=holder) for resource, start, end in ordered
            )
    except IntegrityError as error:
        if "reservation_no_overlap" in str(error):
            raise SlotTaken from error
        raise


def release(*, holder: str, now: datetime) -> int:
    """Let go of everything `holder` holds; returns how many reservations were released."""
    return Reservation.objects.filter(holder=holder, active=True).update(active=False, released_at=now)


def move(*, holder: str, holds: Sequence[tuple[Resource, datetime, datetime]], now: datetime) -> list[Reservation]:
    """Release what `holder` holds and hold the new periods instead, atomically."""
    with transaction.atomic():
        release(holder=holder, now=now)
        return reserve(holds=holds, holder=holder)

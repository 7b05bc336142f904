"""The calendar engine: find times when several resources are free together, and hold them.

Knows nothing of patients or appointments. Free time of a resource = its weekly working
hours (local wall clock, so right on DST days) minus its unavailability minus its active
reservations. Free time is loaded for every candidate in one query (three parts, UNION ALL),
whatever the number of bookings, then worked on as sorted interval lists in memory.

find_slots reads its range a window at a time: the first 7 days (to a local midnight), then
14, 28, … days from where the last ended, one load each, until it has its `limit`. A search is
mostly over 30 days and its answers mostly in the first week; loading and working out the whole
month was most of its time (issue 24). In each window a start is tried only inside the
intersection of the requirements' possible starts (per requirement, the union of its
candidates' free intervals shortened by what each must hold), and only an accepted start asks
for the first free candidate of each. bench/bench_earliest.py: 1.44x / 1.56x / 1.51x a numpy
bitmap floor at 13 / 60 / 240 resources (was 1.83x / 1.98x / 2.22x), the same answers.

The public calls: find_slots (the earliest starts in a range), fit (one start: the resources
it would take, or why not), reserve / move / release (holding time; SlotTaken when the
exclusion constraint says a rival was first). Everything named with a leading underscore is
the engine's own.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, F, IntegerField, Q, TimeField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from scheduling.clinic_time import clinic_zone
from scheduling.models import Reservation, Resource, Unavailability, WorkingHours

Interval = tuple[datetime, datetime]

__all__ = [
    "Fit",
    "Refusal",
    "Requirement",
    "Slot",
    "SlotTaken",
    "find_slots",
    "fit",
    "grid_starts",
    "move",
    "release",
    "release_expired",
    "reserve",
]


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


# --- free time (internal) -----------------------------------------------------------------

# How much of a resource's calendar counts when asking whether it is free: only its weekly
# hours ("working"), those minus its time off and closures ("available"), or also minus
# the other reservations ("free", what a booking needs).
WORKING, AVAILABLE, FREE = "working", "available", "free"


class _FreeTime:
    """Free intervals per resource over a period, loaded in one query; each level
    (working, available, free) is worked out on first use."""

    def __init__(self, resources: Iterable[Resource], start: datetime, end: datetime, *, exclude_holder=None, now=None):
        self.zone = clinic_zone()
        self._start, self._end = start, end
        self._ids = {r.pk for r in resources}
        self._hours = defaultdict(list)
        self._away = defaultdict(list)
        self._booked = defaultdict(list)
        # An expired hold is free time even before the sweep releases it; one seen in the way
        # tells reserve() to release it first (else the exclusion constraint would refuse).
        self.expired_hold_in_way = False
        now = now or timezone.now()
        for kind, rid, weekday, opens, closes, s, e, expires_at in _calendar_rows(
            self._ids, start, end, exclude_holder, now
        ):
            if kind == "hours":
                self._hours[rid].append((weekday, opens, closes))
            elif kind == "away":
                self._away[rid].append((s, e))
            elif expires_at is None:  # live: _calendar_rows gives expiry only to holds expired by now
                self._booked[rid].append((s, e))
            else:
                self.expired_hold_in_way = True
        self._levels: dict[str, dict[int, tuple[list[datetime], list[datetime]]]] = {}
        self._by_hours: dict[tuple, list[Interval]] = {}

    def _level(self, level: str) -> dict[int, tuple[list[datetime], list[datetime]]]:
        if level not in self._levels:
            table = {}
            for rid in self._ids:
                free = self._working(self._hours[rid])
                if level != WORKING:
                    busy = self._away[rid] + (self._booked[rid] if level == FREE else [])
                    free = _subtract(free, sorted(busy))
                table[rid] = ([s for s, _ in free], [e for _, e in free])
            self._levels[level] = table
        return self._levels[level]

    def _working(self, blocks) -> list[Interval]:
        """Working-hours intervals (UTC) for each local day touching the period; worked out
        once for resources with the same weekly hours (most of a department's)."""
        key = tuple(sorted(blocks))
        if key not in self._by_hours:
            self._by_hours[key] = self._working_days(key)
        return self._by_hours[key]

    def _working_days(self, blocks) -> list[Interval]:
        if not hasattr(self, "_days"):
            day = self._start.astimezone(self.zone).date() - timedelta(days=1)
            last = self._end.astimezone(self.zone).date()
            self._days = []
            while day <= last:
                self._days.append((day, day.weekday()))
                day += timedelta(days=1)
            self._walls = {}  # (day, wall clock) -> UTC, shared by every resource
        intervals = []
        for day, weekday in self._days:
            for block_day, s, e in blocks:
                if block_day == weekday:
                    intervals.append((self._wall(day, s), self._wall(day, e)))
        return _merge(sorted(intervals))

    def _wall(self, day: date, wall: time) -> datetime:
        moment = self._walls.get((day, wall))
        if moment is None:
            moment = self._walls[day, wall] = _at(day, wall, self.zone)
        return moment

    def is_free(self, resource_id: int, start: datetime, end: datetime, level: str = FREE) -> bool:
        starts, ends = self._level(level).get(resource_id, ([], []))
        i = bisect_right(starts, start) - 1
        return i >= 0 and ends[i] >= end


def _calendar_rows(ids, start: datetime, end: datetime, exclude_holder: str | None, now: datetime):
    """The resources' weekly hours, their time off overlapping [start, end) and their
    reservations overlapping it, in one round trip (UNION ALL), as rows of
    (kind, resource, weekday, opens, closes, start, end, expires_at) with None where a kind has
    no such column. A resource's live reservations come merged: one row per stretch of
    back-to-back or overlapping ones (a busy day is a few rows, not one per booking, and the
    free time left is the same). Holds expired by `now` come one by one, with their
    expires_at: the caller counts them as free."""
    if connection.vendor == "postgresql":
        return _calendar_rows_postgres(ids, start, end, exclude_holder, now)
    return _calendar_rows_portable(ids, start, end, exclude_holder, now)


# PostgreSQL, written out: every slot search and every booking runs it, and building it through
# the ORM (three annotated querysets and their union) cost more than running it (issue 24).
# History: completed appointments keep active reservations. `start < end AND end > start` on
# the (resource, start) btree read every earlier one (five years made a search 2.2x slower);
# the exclusion constraint's GiST index, asked for the period alone, walked every resource's
# history to find the window (1.13x at 60 resources, as the window widens a load per window).
# No reservation lasts over a day (constraint, migration 0005), so a window's are those
# starting from its start less a day: a tight range of the btree, flat in history. One
# bigint[] for the ids keeps the text the same whatever their number (psycopg caches and
# prepares it), typed as the column (psycopg would send int2[]). range_agg merges a
# resource's live ones: at 240 resources a week is ~7,700 reservations, and turning each
# into Python datetimes was a third of a search (bench_earliest 1.57x -> 1.26x its floor).
_WINDOW_RESERVATIONS = f"""
  FROM {Reservation._meta.db_table} WHERE resource_id = ANY(%(ids)s::bigint[]) AND active
   AND "start" >= %(start)s - interval '1 day' AND "start" < %(end)s AND "end" > %(start)s
   AND holder IS DISTINCT FROM %(holder)s"""  # noqa: S608 - our own table name; the values are bound
_CALENDAR_SQL = f"""
SELECT 'hours', resource_id, weekday, start_time, end_time,
       NULL::timestamptz, NULL::timestamptz, NULL::timestamptz
  FROM {WorkingHours._meta.db_table} WHERE resource_id = ANY(%(ids)s::bigint[])
UNION ALL
SELECT 'away', resource_id, NULL::integer, NULL::time, NULL::time, "start", "end", NULL::timestamptz
  FROM {Unavailability._meta.db_table}
 WHERE resource_id = ANY(%(ids)s::bigint[]) AND "start" < %(end)s AND "end" > %(start)s
UNION ALL
SELECT 'booked', resource_id, NULL::integer, NULL::time, NULL::time, lower(busy), upper(busy), NULL::timestamptz
  FROM (SELECT resource_id, unnest(range_agg(tstzrange("start", "end", '[)'))) AS busy {_WINDOW_RESERVATIONS}
           AND (expires_at IS NULL OR expires_at > %(now)s)
         GROUP BY resource_id) AS merged
UNION ALL
SELECT 'booked', resource_id, NULL::integer, NULL::time, NULL::time, "start", "end", expires_at {_WINDOW_RESERVATIONS}
   AND expires_at <= %(now)s
"""  # noqa: S608 - our own table names; the values are bound


def _calendar_rows_postgres(ids, start, end, exclude_holder, now):
    params = {"ids": list(ids), "start": start, "end": end, "holder": exclude_holder or None, "now": now}
    with connection.cursor() as cursor:
        cursor.execute(_CALENDAR_SQL, params)
        return cursor.fetchall()


def _calendar_rows_portable(ids, start: datetime, end: datetime, exclude_holder: str | None, now: datetime):
    """The same rows through the ORM and _merge (SQLite; tests hold the two equal on PostgreSQL)."""
    # Typed NULLs: two untyped ones in a column are text to PostgreSQL, which then refuses the third part's.
    no_day = Cast(Value(None), IntegerField())
    no_time = Cast(Value(None), TimeField())
    no_moment = Cast(Value(None), DateTimeField())
    columns = ("row_kind", "resource_id", "d", "t1", "t2", "m1", "m2", "m3")
    hours = WorkingHours.objects.filter(resource_id__in=ids).annotate(
        row_kind=Value("hours"),
        d=F("weekday"),
        t1=F("start_time"),
        t2=F("end_time"),
        m1=no_moment,
        m2=no_moment,
        m3=no_moment,
    )
    away = Unavailability.objects.filter(resource_id__in=ids, start__lt=end, end__gt=start).annotate(
        row_kind=Value("away"), d=no_day, t1=no_time, t2=no_time, m1=F("start"), m2=F("end"), m3=no_moment
    )
    booked = Reservation.objects.filter(resource_id__in=ids, active=True, start__lt=end, end__gt=start)
    if exclude_holder:
        booked = booked.exclude(holder=exclude_holder)
    booked = booked.annotate(
        row_kind=Value("booked"), d=no_day, t1=no_time, t2=no_time, m1=F("start"), m2=F("end"), m3=F("expires_at")
    )
    # Each part unordered (SQLite refuses a compound statement of ordered parts).
    parts = [part.order_by().values_list(*columns) for part in (hours, away, booked)]
    rows, live = [], defaultdict(list)
    for row in parts[0].union(*parts[1:], all=True).order_by():
        kind, rid, *_, s, e, expires_at = row
        if kind == "booked" and (expires_at is None or expires_at > now):
            live[rid].append((s, e))
        else:
            rows.append(tuple(row))
    for rid, intervals in live.items():
        rows += [("booked", rid, None, None, None, s, e, None) for s, e in _merge(sorted(intervals))]
    return rows


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
    """`free` (sorted, disjoint) minus `busy` (sorted by start, may overlap)."""
    result = []
    first = 0  # busy periods before `first` end before the current free interval starts
    for s, e in free:
        while first < len(busy) and busy[first][1] <= s:
            first += 1
        cursor = s
        # By index: islice would step through the `first` skipped ones again for every interval.
        for i in range(first, len(busy)):
            bs, be = busy[i]
            if bs >= e:
                break
            if be <= cursor:
                continue
            if bs > cursor:
                result.append((cursor, bs))
            cursor = be
            if cursor >= e:
                break
        if cursor < e:
            result.append((cursor, e))
    return result


# --- search ----------------------------------------------------------------------------


# The first window a search loads; each next one twice as long, until the search's end.
FIRST_WINDOW_DAYS = 7


def grid_starts(start: datetime, end: datetime, grid: timedelta) -> Iterable[datetime]:
    """Starts aligned to the local clock (hh:00, hh:15, …) in [start, end), as UTC."""
    zone = clinic_zone()
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    step = max(int(grid.total_seconds() // 60), 1)
    minutes = range(0, 24 * 60, step)
    while day <= last:
        midnight = _at(day, time(0), zone)
        if _at(day, time(23, 59), zone) - midnight == _LAST_MINUTE:
            # No clock change that day: each start is its minutes after midnight.
            moments = (midnight + timedelta(minutes=minute) for minute in minutes)
        else:
            moments = (_at(day, time(minute // 60, minute % 60), zone) for minute in minutes)
        for moment in moments:
            if start <= moment < end:
                yield moment
        day += timedelta(days=1)


_LAST_MINUTE = timedelta(hours=23, minutes=59)


def _pick(requirements: Sequence[Requirement], start: datetime, end: datetime, free: _FreeTime, level: str = FREE):
    """The first candidate of every requirement free at [start, end) (plus its extra
    minutes), by label; None when one requirement has none."""
    chosen = {}
    for requirement in requirements:
        held_until = end + timedelta(minutes=requirement.extra_minutes)
        pick = next((r for r in requirement.candidates if free.is_free(r.pk, start, held_until, level)), None)
        if pick is None:
            return None
        chosen[requirement.label] = pick
    return chosen


def _possible_starts(requirements: Sequence[Requirement], free: _FreeTime, duration: timedelta) -> list[Interval]:
    """The starts at which every requirement has some free candidate, as closed intervals
    [first, last]: per requirement the union of its candidates' free intervals each shortened
    by the time it must hold (duration plus extra minutes), then the requirements' intersected."""
    table = free._level(FREE)
    possible: list[Interval] | None = None
    for requirement in requirements:
        need = duration + timedelta(minutes=requirement.extra_minutes)
        spans = []
        for resource in requirement.candidates:
            starts, ends = table.get(resource.pk, ((), ()))
            spans += [(s, e - need) for s, e in zip(starts, ends, strict=True) if e - s >= need]
        spans = _merge(sorted(spans))
        possible = spans if possible is None else _intersect(possible, spans)
        if not possible:
            return []
    return possible or []


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Two sorted lists of disjoint closed intervals: where both hold."""
    both, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        first, last = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if first <= last:
            both.append((first, last))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return both


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
    free candidate for `duration` (plus its extra minutes).

    The range is read a window at a time, one query each: its first week (to a local
    midnight), then twice as many days from where that ended, and so on, until `limit` are
    found or `end` is reached; the answers are those of one search over the whole range."""
    if not_before and not_before > start:
        start = not_before
    if start >= end or not requirements:
        return []
    padding = timedelta(minutes=max(r.extra_minutes for r in requirements)) + duration
    candidates = [r for req in requirements for r in req.candidates]
    zone = clinic_zone()
    slots: list[Slot] = []
    window_start, days = start, FIRST_WINDOW_DAYS
    while window_start < end and len(slots) < limit:
        midnight = datetime.combine(window_start.astimezone(zone).date() + timedelta(days=days), time(0), tzinfo=zone)
        window_end = min(midnight.astimezone(UTC), end)
        # A start just before the window's end needs free time past it: loaded to end + padding.
        free = _FreeTime(candidates, window_start, window_end + padding, exclude_holder=exclude_holder)
        slots += _earliest(requirements, free, window_start, window_end, duration, grid, limit - len(slots), extra_busy)
        window_start, days = window_end, days * 2
    return slots


def _earliest(requirements, free: _FreeTime, start, end, duration, grid, limit, extra_busy) -> list[Slot]:
    """find_slots within one window: the grid starts inside the possible starts, in order,
    and for each the first free candidate of every requirement."""
    possible = _possible_starts(requirements, free, duration)
    if not possible:
        return []
    firsts = [first for first, _ in possible]
    slots: list[Slot] = []
    for moment in grid_starts(start, end, grid):
        i = bisect_right(firsts, moment) - 1
        if i < 0 or possible[i][1] < moment:
            continue
        finish = moment + duration
        if any(s < finish and moment < e for s, e in extra_busy):
            continue
        chosen = _pick(requirements, moment, finish, free)
        if chosen is not None:
            slots.append(Slot(start=moment, end=finish, resources=chosen))
            if len(slots) >= limit:
                break
    return slots


# --- fitting one start -------------------------------------------------------------------


class Refusal(StrEnum):
    """Why a booking does not fit at a start."""

    TAKEN = "taken"  # every requirement could be met but for other reservations: a conflict
    OUTSIDE_HOURS = "outside_hours"  # no candidate of a requirement works then
    AWAY = "away"  # candidates work then, but every one is on time off or closed


@dataclass(frozen=True)
class Fit:
    """fit()'s answer: the slot with the resources it would take and the holds to reserve,
    or the refusal and, unless TAKEN, the label of the requirement that cannot be met."""

    slot: Slot | None = None
    holds: tuple[tuple[Resource, datetime, datetime], ...] = ()
    refusal: Refusal | None = None
    requirement: str | None = None
    # An expired hold lies in the slot: reserve() must release it first (see reserve).
    expired_hold_in_way: bool = False

    def __bool__(self) -> bool:
        return self.slot is not None


def fit(
    *,
    requirements: Sequence[Requirement],
    start: datetime,
    duration: timedelta,
    exclude_holder: str | None = None,
) -> Fit:
    """Whether a booking of `duration` fits at exactly `start`, in one load of free time.

    Fits: the first free candidate of each requirement (in the candidates' order) and the
    (resource, start, end) holds for reserve() or move(), each requirement's extra minutes
    included. Does not fit: TAKEN when only other reservations are in the way (those of
    `exclude_holder`, e.g. the booking being moved, do not count); otherwise the first
    requirement whose candidates all work elsewhen (OUTSIDE_HOURS) or are away then (AWAY).
    Nothing is held: the caller reserves, and the exclusion constraint has the last word."""
    end = start + duration
    candidates = [r for req in requirements for r in req.candidates]
    longest = max((r.extra_minutes for r in requirements), default=0)
    free = _FreeTime(candidates, start, end + timedelta(minutes=longest), exclude_holder=exclude_holder)
    chosen = _pick(requirements, start, end, free)
    if chosen is not None:
        holds = tuple((chosen[r.label], start, end + timedelta(minutes=r.extra_minutes)) for r in requirements)
        return Fit(
            slot=Slot(start=start, end=end, resources=chosen), holds=holds, expired_hold_in_way=free.expired_hold_in_way
        )
    for requirement in requirements:
        held_until = end + timedelta(minutes=requirement.extra_minutes)
        if not any(free.is_free(r.pk, start, held_until, AVAILABLE) for r in requirement.candidates):
            works = any(free.is_free(r.pk, start, held_until, WORKING) for r in requirement.candidates)
            return Fit(refusal=Refusal.AWAY if works else Refusal.OUTSIDE_HOURS, requirement=requirement.label)
    return Fit(refusal=Refusal.TAKEN)


# --- holding time ----------------------------------------------------------------------


def reserve(
    *,
    holds: Sequence[tuple[Resource, datetime, datetime]],
    holder: str,
    expires_at: datetime | None = None,
    now: datetime | None = None,
    expired_hold_in_way: bool = True,
) -> list[Reservation]:
    """Hold every (resource, start, end) for `holder`, all or nothing; raise SlotTaken.
    With `expires_at` the rows are a hold that lapses then (see Reservation). A caller whose
    fit() saw no expired hold in the way says so (`expired_hold_in_way=False`): one statement fewer.

    On PostgreSQL the exclusion constraint decides: a rival's overlapping insert waits for
    our commit and then fails. Rows go in in resource-id order, so two bookers wanting the
    same resources queue up rather than deadlock. Elsewhere (SQLite, which locks the whole
    file for a write transaction) the overlap is checked here before inserting.
    Call it inside the caller's transaction: a SlotTaken must roll that back.
    """
    ordered = sorted(holds, key=lambda hold: hold[0].pk)
    now = now or timezone.now()
    overlap = Q()
    for resource, start, end in ordered:
        overlap |= Q(resource=resource, start__lt=end, end__gt=start)
    try:
        with transaction.atomic(savepoint=False):
            # An expired hold in the way is free time: release it here, or the exclusion
            # constraint (which knows only "active") would refuse us before the sweep runs.
            if expired_hold_in_way:
                Reservation.objects.filter(overlap, active=True, expires_at__lte=now).update(
                    active=False, released_at=now
                )
            if connection.vendor != "postgresql" and Reservation.objects.filter(overlap, active=True).exists():
                raise SlotTaken
            return Reservation.objects.bulk_create(
                Reservation(resource=resource, start=start, end=end, holder=holder, expires_at=expires_at)
                for resource, start, end in ordered
            )
    except IntegrityError as error:
        if "reservation_no_overlap" in str(error):
            raise SlotTaken from error
        raise


def release(*, holder: str, now: datetime) -> int:
    """Let go of everything `holder` holds; returns how many reservations were released."""
    return Reservation.objects.filter(holder=holder, active=True).update(active=False, released_at=now)


def release_expired(*, now: datetime, limit: int = 500) -> list[str]:
    """The sweep (the dispatcher's tick): release holds whose time is up; returns their
    holders, so their owners can offer the time to the next person."""
    with transaction.atomic():
        rows = list(
            Reservation.objects.select_for_update(skip_locked=True)
            .filter(active=True, expires_at__lte=now)
            .values_list("pk", "holder")[:limit]
        )
        Reservation.objects.filter(pk__in=[pk for pk, _ in rows]).update(active=False, released_at=now)
    return sorted({holder for _, holder in rows})


def move(*, holder: str, holds: Sequence[tuple[Resource, datetime, datetime]], now: datetime) -> list[Reservation]:
    """Release what `holder` holds and hold the new periods instead, atomically."""
    with transaction.atomic():
        release(holder=holder, now=now)
        return reserve(holds=holds, holder=holder)

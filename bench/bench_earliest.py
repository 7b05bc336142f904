"""Earliest-N close to the floor (issue #24).

A department of 13 (3 rooms, 4 radiologists, 6 technologists/nurses), 60 and 240 resources,
working the hours ensure_room / ensure_staff_member give them, the first eight weekdays four in
five hour-blocks of every resource taken (so 20 answers need more than the first week). The
product's search as the scheduler's page calls it (radiology.services.slots: the earliest 20
galactogram starts over 30 days, 45 minutes, the room's 15-minute turnover) against a FLOOR:
one raw query for the team, then a week at a time one raw query for the hours, time off and
active reservations overlapping the week (in minutes since its local midnight), a numpy bitmap
per resource in 15-minute cells (the grid; every length here is whole cells, minutes if not), the
same rules (duration, the room's turnover, a grid on the local clock, DST through zoneinfo),
stopping at 20. Samples interleaved; prints the medians,
the ratio product / floor per size and whether the answers (starts and resources) are the same.
Goal: ≤ 1.5x at every size. PostgreSQL.
"""

import os
import statistics
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import numpy as np
from _django import bench_database, count_queries, is_postgres, sized, summary, timed
from django.db import connection
from django.utils import timezone

from scheduling.clinic_time import clinic_zone, local_day_bounds, local_today

SIZES = sized({13: (3, 4, 6), 60: (14, 18, 28), 240: (56, 72, 112)}, {5: (1, 2, 2)})
ROUNDS = sized(25, 2)
BUSY_WEEKDAYS = 8
LIMIT, DAYS, DURATION, TURNOVER, GRID = 20, 30, 45, 15, 15
BUSY = 1 << 16  # more than any resource's overlapping working-hours blocks


def department(tag, rooms, radiologists, assistants):
    from radiology.services.department import ensure_room, ensure_staff_member

    made = {"room": [ensure_room(name=f"{tag} Mammo {i:03}").resource for i in range(rooms)]}
    made["radiologist"] = [
        ensure_staff_member(
            username=f"{tag}rad{i}", role="radiologist", first_name="R", last_name=str(i), password="x"
        ).resource
        for i in range(radiologists)
    ]
    made["technologist"] = [
        ensure_staff_member(
            username=f"{tag}tech{i}",
            role="technologist" if i % 3 else "nurse",
            first_name="T",
            last_name=str(i),
            password="x",
        ).resource
        for i in range(assistants)
    ]
    return made


def book_ahead(team, first_day):
    """Hour blocks from 08:00 to 17:00 on the first weekdays, four in five of each resource's
    taken: every room is free in the same blocks, the fifth staff member of a role with them."""
    from scheduling.models import Reservation

    zone, rows, day, k = clinic_zone(), [], first_day, 0
    while k < BUSY_WEEKDAYS:
        if day.weekday() < 5:
            for block in range(9):
                start = datetime.combine(day, clock(8 + block), tzinfo=zone)
                for label, resources in team.items():
                    for j, resource in enumerate(resources):
                        if (block + k + (0 if label == "room" else j)) % 5:
                            rows.append(
                                Reservation(
                                    resource=resource, start=start, end=start + timedelta(hours=1), holder=f"ahead:{k}"
                                )
                            )
            k += 1
        day += timedelta(days=1)
    Reservation.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def only(active, others):
    from scheduling.models import Resource

    Resource.objects.filter(pk__in=[r.pk for r in others]).update(active=False)
    Resource.objects.filter(pk__in=[r.pk for r in active]).update(active=True)


def product(procedure, first_day):
    from radiology.services.slots import find_galactogram_slots

    def run():
        options = find_galactogram_slots(
            procedure=procedure,
            duration_minutes=DURATION,
            start_date=first_day,
            end_date=first_day + timedelta(days=DAYS),
            limit=LIMIT,
        )
        return [(o.start, o.room.resource_id, o.radiologist.resource_id, o.technologist.resource_id) for o in options]

    return run


# --- the floor -----------------------------------------------------------------------------

# The team as the product orders it: rooms with the capability by name, staff by id.
TEAM_SQL = """
SELECT 0, r.resource_id, r.name, 0 FROM radiology_room r JOIN scheduling_resource s ON s.id = r.resource_id
 WHERE s.active AND EXISTS (SELECT 1 FROM scheduling_resource_capabilities rc
   JOIN scheduling_capability c ON c.id = rc.capability_id WHERE rc.resource_id = s.id AND c.slug = %s)
UNION ALL
SELECT CASE WHEN m.role = 'radiologist' THEN 1 ELSE 2 END, m.resource_id, '', m.id
  FROM radiology_staffmember m JOIN scheduling_resource s ON s.id = m.resource_id
 WHERE s.active AND m.role IN ('radiologist', 'technologist', 'nurse')
ORDER BY 1, 3, 4
"""

CALENDAR_SQL = """
SELECT 0, resource_id, weekday, extract(hour FROM start_time)::int * 60 + extract(minute FROM start_time)::int,
       extract(hour FROM end_time)::int * 60 + extract(minute FROM end_time)::int
  FROM scheduling_workinghours WHERE resource_id = ANY(%(ids)s)
UNION ALL
SELECT 1, resource_id, 0, floor(extract(epoch FROM start - %(s)s) / 60)::int,
       ceil(extract(epoch FROM "end" - %(s)s) / 60)::int
  FROM scheduling_unavailability WHERE resource_id = ANY(%(ids)s) AND start < %(e)s AND "end" > %(s)s
UNION ALL
SELECT 1, resource_id, 0, floor(extract(epoch FROM start - %(s)s) / 60)::int,
       ceil(extract(epoch FROM "end" - %(s)s) / 60)::int
  FROM scheduling_reservation WHERE resource_id = ANY(%(ids)s) AND active
   AND tstzrange(start, "end", '[)') && tstzrange(%(s)s, %(e)s, '[)') AND (expires_at IS NULL OR expires_at > %(now)s)
"""


def _utc(day, minute, zone):
    return datetime.combine(day, clock(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)


def _minutes(moment, origin) -> int:
    return int((moment - origin).total_seconds() // 60)


def _grid(start, end, origin, zone):
    """Grid starts in [start, end) as minutes since `origin`: the local clock's hh:00, hh:15, …
    (a day whose offset changes is converted start by start, as the product does)."""
    out = []
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    steps = np.arange(0, 24 * 60, GRID)
    while day <= last:
        midnight = _utc(day, 0, zone)
        if _utc(day, 23 * 60 + 59, zone) - midnight == timedelta(minutes=23 * 60 + 59):
            out.append(_minutes(midnight, origin) + steps)
        else:
            out.append(np.array([_minutes(_utc(day, int(m), zone), origin) for m in steps]))
        day += timedelta(days=1)
    grid = np.concatenate(out)
    return grid[(grid >= _minutes(start, origin)) & (grid < _minutes(end, origin))]


def floor(procedure, first_day):
    zone = clinic_zone()
    start, _ = local_day_bounds(first_day)
    _, end = local_day_bounds(first_day + timedelta(days=DAYS))
    lengths = (DURATION + procedure.turnover_minutes, DURATION, DURATION)
    # Cells of the grid's size when every length is a whole number of them (then "free for
    # [t, t + length)" at a grid start is exactly "these cells all free"), minutes otherwise.
    cell = GRID if all(length % GRID == 0 for length in lengths) else 1

    def run():
        now = timezone.now()
        not_before = max(start, now + timedelta(hours=procedure.min_lead_time_hours))
        with connection.cursor() as cursor:
            cursor.execute(TEAM_SQL, [procedure.room_capability])
            team = [[], [], []]
            for group, rid, _, _ in cursor.fetchall():
                team[group].append(rid)
            ids = [rid for group in team for rid in group]
            index = {rid: i for i, rid in enumerate(ids)}
            found, week_start, padding = [], not_before, timedelta(minutes=max(lengths))
            while week_start < end and len(found) < LIMIT:
                first_day = week_start.astimezone(zone).date()
                week_end = min(local_day_bounds(first_day + timedelta(days=7))[0], end)
                origin, load_end = local_day_bounds(first_day)[0], week_end + padding  # cells on the local clock
                cursor.execute(CALENDAR_SQL, {"ids": ids, "s": origin, "e": load_end, "now": now})
                rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 5)
                week = _Week(rows, index, origin, -(-_minutes(load_end, origin) // cell), cell, zone)
                found += week.starts(team, lengths, _grid(week_start, week_end, origin, zone))
                week_start = week_end
        return found[:LIMIT]

    return run


class _Week:
    """One week's free cells of every resource, as a running count (flat, row after row)."""

    def __init__(self, rows, index, origin, size, cell, zone):
        self.origin, self.cell, self.width = origin, cell, size + 1
        n = len(index)
        resource = np.array([index[rid] for rid in rows[:, 1]], dtype=np.int64).reshape(-1)
        hours, busy = rows[:, 0] == 0, rows[:, 0] == 1
        # One bincount of +1/-1 at opening/closing and -/+BUSY at a reservation's or time off's
        # start/end, one cumsum: a cell is free when the sum is positive.
        at, weight = [], []
        day = origin.astimezone(zone).date() - timedelta(days=1)
        last = (origin + timedelta(minutes=size * cell)).astimezone(zone).date()
        h_res, h_day, h_open, h_close = resource[hours], rows[hours, 2], rows[hours, 3], rows[hours, 4]
        while day <= last:
            on = h_day == day.weekday()
            if on.any():
                walls = np.unique(np.concatenate([h_open[on], h_close[on]]))
                utc = np.array([_minutes(_utc(day, int(m), zone), origin) for m in walls])
                opens = -(-utc[np.searchsorted(walls, h_open[on])] // cell)  # whole cells inside the hours
                closes = utc[np.searchsorted(walls, h_close[on])] // cell
                self._add(at, weight, h_res[on], opens, closes, 1)
            day += timedelta(days=1)
        self._add(at, weight, resource[busy], rows[busy, 3] // cell, -(-rows[busy, 4] // cell), -BUSY)
        # Each row sums to zero, so one 1-D cumsum over all rows: faster than one per row.
        free = np.cumsum(np.bincount(np.concatenate(at), np.concatenate(weight), minlength=n * self.width)) > 0
        self.free_before = np.zeros(n * self.width + 1, np.int32)
        np.cumsum(free, dtype=np.int32, out=self.free_before[1:])

    def _add(self, at, weight, resource, first, last, sign):
        size = self.width - 1
        for where, signed in ((first, sign), (last, -sign)):
            at.append(resource * self.width + np.clip(where, 0, size))
            weight.append(np.full(len(resource), signed))

    def starts(self, team, lengths, grid):
        """The accepted grid starts (minutes since the origin) with the first free candidate of each group."""
        cells = grid // self.cell
        accepted = np.ones(len(grid), bool)
        fits, offset = [], 0
        for group, length in zip(team, lengths, strict=True):
            need = length // self.cell
            first = (np.arange(offset, offset + len(group)) * self.width)[:, None] + cells
            offset += len(group)
            ok = (self.free_before[first + need] - self.free_before[first]) == need
            fits.append(ok)
            accepted &= ok.any(axis=0)
        picks = [ok[:, accepted].argmax(axis=0) for ok in fits]
        return [
            (self.origin + timedelta(minutes=int(m)), *(g[int(p[i])] for g, p in zip(team, picks, strict=True)))
            for i, m in enumerate(grid[accepted])
        ]


def measure(size, team, others, procedure, first_day) -> bool:
    only([r for rs in team.values() for r in rs], others)
    run_product, run_floor = product(procedure, first_day), floor(procedure, first_day)
    answers = {"product": run_product(), "floor": run_floor()}
    queries = count_queries(run_product)
    samples = {"floor": [], "product": []}
    for _ in range(ROUNDS):
        samples["floor"] += timed(run_floor, 1)
        samples["product"] += timed(run_product, 1)
    ratio = statistics.median(samples["product"]) / statistics.median(samples["floor"])
    same = answers["product"] == answers["floor"] and len(answers["floor"]) == LIMIT
    same_starts = [a[0] for a in answers["product"]] == [a[0] for a in answers["floor"]]
    last = answers["floor"][-1][0].astimezone(clinic_zone()).date() if answers["floor"] else None
    print(
        f"{size} resources, earliest {LIMIT} over {DAYS} days ({BUSY_WEEKDAYS} busy weekdays; the 20th on day "
        f"{(last - first_day).days if last else '-'}):"
    )
    print(f"  floor (raw SQL + numpy bitmap, a week at a time):   {summary(samples['floor'])}")
    print(f"  product (find_galactogram_slots, {queries} queries):   {summary(samples['product'])}")
    print(
        f"  product / floor (medians): {ratio:.2f}x — goal ≤ 1.5x; same starts: {same_starts}; "
        f"same starts and resources: {same}"
    )
    if not same:
        for a, b in zip(answers["product"], answers["floor"], strict=False):
            print("   ", "  " if a == b else "!=", a, b)
    return same


def main():
    if not is_postgres():
        print("needs PostgreSQL (set DATABASE_URL); skipped")
        return 0
    from procedures.models import Procedure

    first_day = local_today() + timedelta(days=3)
    results = []
    with bench_database("gal_bench_earliest"):
        Procedure.objects.filter(slug="galactogram").update(turnover_minutes=TURNOVER)
        procedure = Procedure.objects.get(slug="galactogram")
        teams = {size: department(f"d{size}", *shape) for size, shape in SIZES.items()}
        everyone = [r for team in teams.values() for rs in team.values() for r in rs]
        for team in teams.values():
            book_ahead(team, first_day)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE scheduling_reservation")
        for size, team in teams.items():
            mine = {r.pk for rs in team.values() for r in rs}
            results.append(measure(size, team, [r for r in everyone if r.pk not in mine], procedure, first_day))
    print(f"machine load (1-minute average): {os.getloadavg()[0]:.1f}")
    return 0 if all(results) else 1  # different answers: one of the two is wrong


if __name__ == "__main__":
    raise SystemExit(main())

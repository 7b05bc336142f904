"""What the day list's ETag is made of: has anything about a local day changed?

Two things change what the day list shows:
- data: every insert, update (bulk `update()` included) or delete of an appointment, a
  readiness answer, or a change to a patient's record or an order bumps a counter per UTC
  date, by database trigger in the same transaction (migrations 0014 and 0016); reference
  data shown on every day (rooms, people's names, the catalog, time off) bumps the counter of
  REFERENCE_DAY, which every fingerprint includes;
- the clock: an appointment's start (no-show becomes possible) and its start + LATE_AFTER
  (the late flag) are moments at which the list changes with no write at all.

`day_fingerprint` reads both in one query. Waiting and in-procedure minutes and the "now"
line are kept current in the browser, so they need no new response.
"""

from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL

from scheduling.clinic_time import local_day_bounds

# Not checked in this long after the start: the day list flags the patient as late.
LATE_AFTER = timedelta(minutes=10)

# The counter that changes with reference data (migration 0016_reference_and_order_versions).
REFERENCE_DAY = date(1, 1, 1)

# One text value, "version-started-late", as an SQL expression (PostgreSQL and SQLite): one
# scan of the day's appointments for both clock moments.
_EXPRESSION = """
CAST((SELECT COALESCE(SUM(version), 0) FROM radiology_dayversion WHERE day IN (%s, %s, %s)) AS TEXT) || '-' ||
(SELECT CAST(COUNT(*) FILTER (WHERE start <= %s) AS TEXT) || '-' || CAST(COUNT(*) FILTER (WHERE start <= %s) AS TEXT)
 FROM radiology_appointment WHERE start >= %s AND start < %s)
"""


def counter_sql(day: date) -> tuple[str, tuple]:
    """One counter (0 before its first change), as SQL and parameters."""
    return "SELECT COALESCE(MAX(version), 0) FROM radiology_dayversion WHERE day = %s", (day,)


def counter_expression(day: date) -> RawSQL:
    """One counter as an annotation, for a query that fetches it along with something else
    (the API's token lookup fetches the permissions' and the catalog's). Raw SQL: compiling
    the same as a Subquery cost the token lookup more than running it."""
    sql, params = counter_sql(day)
    return RawSQL(f"({sql})", params, output_field=BigIntegerField())  # noqa: S611 - our own SQL, the day bound


def utc_dates(day: date) -> tuple[date, date]:
    """The UTC calendar dates a local clinic day overlaps (the counters' keys)."""
    start, end = local_day_bounds(day)
    last = end - timedelta(microseconds=1)
    return start.astimezone(UTC).date(), last.astimezone(UTC).date()


def fingerprint_expression(*, day: date, now: datetime) -> tuple[str, list]:
    """The fingerprint as an SQL expression and its parameters, for a caller that fetches it
    together with something else in one round trip (the day list's poll)."""
    start, end = local_day_bounds(day)
    first, last = utc_dates(day)
    return _EXPRESSION, [REFERENCE_DAY, first, last, now, now - LATE_AFTER, start, end]


def day_fingerprint(*, day: date, now: datetime) -> str:
    """ "version-started-late" for a local day: equal strings mean an identical list (for the
    same user and filters). One query; no appointment rows are read."""
    expression, params = fingerprint_expression(day=day, now=now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression}", params)  # noqa: S608 - a constant of this module
        return cursor.fetchone()[0]


def days_version(*, first: date | None, last: date | None) -> int:
    """A number that grows whenever anything shown about the local days first..last changes
    (either end may be open), reference data included. One query. For caches of what those
    days show (the Modality Worklist's answers): the counters only ever grow, so equal
    numbers mean nothing changed."""
    low = utc_dates(first)[0] if first else REFERENCE_DAY
    high = utc_dates(last)[1] if last else date.max
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(version), 0) FROM radiology_dayversion WHERE day = %s OR day BETWEEN %s AND %s",
            [REFERENCE_DAY, low, high],
        )
        return int(cursor.fetchone()[0])

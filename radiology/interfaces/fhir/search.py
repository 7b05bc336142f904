"""FHIR search parameters → Python values and Django filters.

Dates follow FHIR search.html#date: a value stands for the range its precision implies
(2026-11-02 is that whole local clinic day), and the prefix compares the field with that
range. Times without an offset are read in the clinic's zone. Unknown parameters are
ignored and left out of the self link (lenient handling), unless the client sends
`Prefer: handling=strict`. `_summary` is never ignored: `count` answers the total alone,
`false` and `data` the whole resources (ours carry no narrative), and `true` and `text`
are refused (400), as the summary views are not served.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q

from radiology.interfaces.fhir.http import FhirError
from radiology.presentation.date_range import OUT_OF_RANGE, in_range
from scheduling.clinic_time import clinic_zone

# Parameters every search understands; `_format` is read by content negotiation.
COMMON = ("_id", "_count", "_offset", "_format")
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
SUPPORTED_PREFIXES = ("eq", "gt", "lt", "ge", "le")
DATE_RE = re.compile(
    r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass
class Query:
    """The search parameters of one request that this resource type understands."""

    params: dict[str, list[str]]
    count: int
    offset: int
    used: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""

    def values(self, name: str) -> list[str]:
        return self.params.get(name, [])

    def first(self, name: str) -> str | None:
        values = self.values(name)
        return values[0] if values else None


def parse_query(request, supported: tuple[str, ...]) -> Query:
    strict = "handling=strict" in request.headers.get("Prefer", "").replace(" ", "")
    params: dict[str, list[str]] = {}
    used: list[tuple[str, str]] = []
    for name in request.query_params:
        values = [v for v in request.query_params.getlist(name) if v != ""]
        if any("\x00" in v for v in values):
            raise FhirError(f"{name}: a search value cannot contain a NUL character.", expression=name)
        base = name.split(":")[0]
        if name in ("_count", "_offset", "_format", "_summary") or not values:
            continue
        if base not in supported and base not in COMMON:
            if strict:
                raise FhirError(f"This server does not support the search parameter “{name}” here.")
            continue
        if name != base:
            raise FhirError(f"The modifier “{name}” is not supported; search with “{base}”.")
        params[name] = values
        used.extend((name, v) for v in values)
    summary = parse_summary(request)
    count = 0 if summary == "count" else parse_count(request)
    if summary:
        used.append(("_summary", summary))
    return Query(params=params, count=count, offset=parse_offset(request), used=used, summary=summary)


SUMMARY_SERVED = ("count", "false", "data")


def parse_summary(request, *, served: tuple[str, ...] = SUMMARY_SERVED) -> str:
    """The `_summary` asked for ("" when none), or a 400 naming what is served."""
    raw = request.query_params.get("_summary", "")
    if raw == "":
        return ""
    if raw not in ("true", "text", "data", "count", "false"):
        raise FhirError(
            f"_summary: “{raw}” is not a FHIR summary; use one of {', '.join(served)}.", expression="_summary"
        )
    if raw not in served:
        raise FhirError(
            f"_summary={raw} is not supported here: this server answers {', '.join(f'_summary={s}' for s in served)}, "
            "or the whole resource without _summary.",
            code="not-supported",
            expression="_summary",
        )
    return raw


def parse_count(request, *, default: int | None = None, maximum: int | None = None) -> int:
    raw = request.query_params.get("_count")
    return count_value(raw, default=default, maximum=maximum)


def count_value(raw, *, default: int | None = None, maximum: int | None = None) -> int:
    maximum = maximum or settings.FHIR_MAX_COUNT
    if raw in (None, ""):
        return default if default is not None else settings.FHIR_DEFAULT_COUNT
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise FhirError(f"_count must be a whole number, not “{raw}”.", expression="_count") from None
    if value < 0:
        raise FhirError("_count cannot be negative.", expression="_count")
    return min(value, maximum)


def parse_offset(request) -> int:
    raw = request.query_params.get("_offset", "0") or "0"
    if not raw.isdigit():
        raise FhirError(f"_offset must be a whole number, not “{raw}”.", expression="_offset")
    return int(raw)


# --- dates --------------------------------------------------------------------------------


def split_prefix(value: str) -> tuple[str, str]:
    prefix = value[:2]
    if prefix.isalpha():
        if prefix not in SUPPORTED_PREFIXES:
            raise FhirError(f"The date prefix “{prefix}” is not supported; use eq, gt, ge, lt or le.")
        return prefix, value[2:]
    return "eq", value


def date_range(value: str, name: str) -> tuple[datetime, datetime]:
    """The UTC instants [lower, upper) that a FHIR date/dateTime value stands for."""
    match = DATE_RE.match(value)
    if not match:
        raise FhirError(
            f"{name}: “{value}” is not a FHIR date; use e.g. 2026-11-02 or 2026-11-02T09:00:00-05:00.",
            expression=name,
        )
    parts = {k: int(v) for k, v in match.groupdict().items() if v and k != "tz"}
    # The calendar every door accepts: 9999-12-31 has no day after it (an OverflowError, a 500).
    if not in_range(date(parts["year"], 1, 1)):
        raise FhirError(f"{name}: “{value}”: {OUT_OF_RANGE}", expression=name)
    tz = match.group("tz")
    zone = clinic_zone()
    try:
        if "hour" in parts:
            if tz:
                moment = datetime.fromisoformat(value[: match.end("tz")].replace("Z", "+00:00")).replace(microsecond=0)
            else:
                wall = (
                    parts["year"],
                    parts["month"],
                    parts["day"],
                    parts["hour"],
                    parts["minute"],
                    parts.get("second", 0),
                )
                moment = datetime(*wall, tzinfo=zone)
            step = timedelta(seconds=1) if "second" in parts else timedelta(minutes=1)
            return moment, moment + step
        first = date(parts["year"], parts.get("month", 1), parts.get("day", 1))
    except ValueError:
        raise FhirError(f"{name}: “{value}” is not a real date.", expression=name) from None
    if "day" in parts:
        last = first + timedelta(days=1)
    elif "month" in parts:
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        last = first.replace(year=first.year + 1)
    return _local_midnight(first, zone), _local_midnight(last, zone)


def date_only_range(value: str, name: str) -> tuple[date, date]:
    """For date fields (birthDate): [first day, day after the last) of the value's precision."""
    match = DATE_RE.match(value)
    if not match or match.group("hour"):
        raise FhirError(f"{name}: give a date as YYYY, YYYY-MM or YYYY-MM-DD, not “{value}”.", expression=name)
    lower, upper = date_range(value, name)
    zone = clinic_zone()
    return lower.astimezone(zone).date(), upper.astimezone(zone).date()


def _local_midnight(day: date, zone) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def compare(field_name: str, prefix: str, lower, upper) -> Q:
    """The field's value compared with the range [lower, upper) as FHIR's prefixes say."""
    if prefix == "eq":
        return Q(**{f"{field_name}__gte": lower, f"{field_name}__lt": upper})
    if prefix == "ge":
        return Q(**{f"{field_name}__gte": lower})
    if prefix == "gt":
        return Q(**{f"{field_name}__gte": upper})
    if prefix == "le":
        return Q(**{f"{field_name}__lt": upper})
    return Q(**{f"{field_name}__lt": lower})  # lt


def date_filter(query: Query, name: str, field_name: str, *, dates_only: bool = False) -> Q:
    """Every value of a date parameter ANDed (date=ge…&date=lt…)."""
    condition = Q()
    for raw in query.values(name):
        if "," in raw:
            raise FhirError(f"{name}: give one date per parameter; repeat the parameter for a range.")
        prefix, value = split_prefix(raw)
        lower, upper = date_only_range(value, name) if dates_only else date_range(value, name)
        condition &= compare(field_name, prefix, lower, upper)
    return condition


def date_window(query: Query, name: str) -> tuple[datetime | None, datetime | None]:
    """The [lower, upper) window that the values of a date parameter allow (for computed results)."""
    lower = upper = None
    for raw in query.values(name):
        prefix, value = split_prefix(raw)
        low, high = date_range(value, name)
        bounds = {"eq": (low, high), "ge": (low, None), "gt": (high, None), "le": (None, high), "lt": (None, low)}
        new_lower, new_upper = bounds[prefix]
        if new_lower is not None:
            lower = max(lower, new_lower) if lower else new_lower
        if new_upper is not None:
            upper = min(upper, new_upper) if upper else new_upper
    return lower, upper


# --- tokens and references ----------------------------------------------------------------


def tokens(query: Query, name: str) -> list[tuple[str | None, str]]:
    """system|code pairs of a token parameter, comma values ORed; system None when not given."""
    pairs = []
    for raw in query.values(name):
        for item in raw.split(","):
            if "|" in item:
                system, code = item.split("|", 1)
                pairs.append((system, code))
            else:
                pairs.append((None, item))
    return pairs


def references(query: Query, name: str, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """(type, id) of each reference value: "Patient/12", "12" (when one type is allowed)
    or an absolute URL ending in Type/id."""
    found = []
    for raw in query.values(name):
        for item in raw.split(","):
            found.append(parse_reference(item, allowed, name))
    return found


def parse_reference(value: str, allowed: tuple[str, ...], name: str) -> tuple[str, str]:
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] in allowed:
        return parts[-2], parts[-1]
    if len(parts) == 1 and len(allowed) == 1:
        return allowed[0], parts[0]
    kinds = " or ".join(f"{kind}/<id>" for kind in allowed)
    raise FhirError(f"{name}: “{value}” is not a reference this search understands; use {kinds}.", expression=name)


def int_ids(ids: list[str]) -> list[int]:
    """Database ids from FHIR ids; an id that is not a number matches nothing."""
    return [int(i) for i in ids if i.isdigit()]


def boolean(query: Query, name: str) -> bool | None:
    raw = query.first(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise FhirError(f"{name}: use true or false, not “{raw}”.", expression=name)
    return raw == "true"

"""Modality Worklist C-FIND: the query's date and station narrow the database read; the
PS3.4 matching engine then decides exactly, and the reply holds exactly the asked keys."""

from datetime import date, datetime

from django.conf import settings
from pydicom.dataset import Dataset

from radiology.dicom.items import worklist_item
from radiology.dicom.matching import build_reply, is_empty, matches
from radiology.modality_selectors import worklist_appointments


def _day(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), "%Y%m%d").date()  # noqa: DTZ007 - a calendar day, no instant
    except ValueError:
        return None


def _day_bounds(value) -> tuple[date | None, date | None]:
    """Days to read from the database for a ScheduledProcedureStepStartDate key; (None, None)
    reads all and leaves the exact answer to the matching engine."""
    if is_empty(value) or not isinstance(value, str):
        return None, None
    if "-" in value:
        low, _, high = value.partition("-")
        return (_day(low) if low.strip() else None), (_day(high) if high.strip() else None)
    day = _day(value)
    return day, day


def _step_query(query: Dataset) -> Dataset:
    sequence = query.get("ScheduledProcedureStepSequence")
    return sequence[0] if sequence else Dataset()


def query_days(query: Dataset) -> tuple[date | None, date | None]:
    """The local days a query asks about; None for an open end."""
    return _day_bounds(_step_query(query).get("ScheduledProcedureStepStartDate"))


def find(query: Dataset) -> list[Dataset]:
    step = _step_query(query)
    station = step.get("ScheduledStationAETitle")
    station = str(station).strip() if station and not isinstance(station, list) else ""
    if not station and settings.WORKLIST_UNKNOWN_STATION == "none":
        return []
    first_day, last_day = query_days(query)
    exact_station = station if station and "*" not in station and "?" not in station else None
    case_insensitive = settings.WORKLIST_NAMES_CASE_INSENSITIVE
    replies = []
    for appointment in worklist_appointments(first_day=first_day, last_day=last_day, station_ae_title=exact_station):
        item = worklist_item(appointment)
        if matches(item, query, names_case_insensitive=case_insensitive):
            replies.append(build_reply(item, query, names_case_insensitive=case_insensitive))
    return replies

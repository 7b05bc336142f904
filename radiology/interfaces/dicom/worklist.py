"""Modality Worklist C-FIND: the query's date and station narrow the database read; the
PS3.4 matching engine then decides exactly, and the reply holds exactly the asked keys."""

from datetime import date, datetime

from django.conf import settings
from django.db.models import QuerySet
from pydicom.dataset import Dataset

from radiology.interfaces.dicom.items import worklist_item
from radiology.interfaces.dicom.matching import build_reply, is_empty, matches
from radiology.models import Appointment
from radiology.selectors.modality import worklist_appointments


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


def candidates(query: Dataset) -> QuerySet[Appointment]:
    """The appointments that may answer the query: its days and exact station narrow the
    read; none when the query names no station and the setting says to answer none."""
    step = _step_query(query)
    station = step.get("ScheduledStationAETitle")
    station = str(station).strip() if station and not isinstance(station, list) else ""
    if not station and settings.WORKLIST_UNKNOWN_STATION == "none":
        return Appointment.objects.none()
    first_day, last_day = query_days(query)
    exact_station = station if station and "*" not in station and "?" not in station else None
    return worklist_appointments(first_day=first_day, last_day=last_day, station_ae_title=exact_station)


def reply_for(item: Dataset, query: Dataset) -> Dataset | None:
    """A worklist item's reply to the query, or None if it does not match."""
    case_insensitive = settings.WORKLIST_NAMES_CASE_INSENSITIVE
    if matches(item, query, names_case_insensitive=case_insensitive):
        return build_reply(item, query, names_case_insensitive=case_insensitive)
    return None


def find(query: Dataset) -> list[Dataset]:
    replies = (reply_for(worklist_item(a), query) for a in candidates(query))
    return [reply for reply in replies if reply is not None]

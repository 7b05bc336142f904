"""Opening an order: its identifiers, the row and its first history record.

The accession number ("GA" + clinic-local date + a 5-digit serial of that day, 15
characters: DICOM SH allows 16) and the Study Instance UID ("2.25." + a random UUID as an
integer, PS3.5 B.2) are made once, when the order is created, and never change.

On PostgreSQL the day's serial, the order and django-simple-history's "+" record are
written by one statement (data-modifying CTEs pass the serial and the new id along):
a booking that opens an order pays one round trip for it instead of three. Elsewhere
(SQLite) the serial is taken first and the ORM saves the order, simple-history's
post_save writing the record; tests/radiology/services/test_order_opening.py holds the
two to the same rows. Callers hold the surrounding transaction (the day's counter row
stays locked until it ends: numbers of one day are handed out one transaction at a time).
"""

import uuid
from datetime import datetime

from django.db import connection
from django.utils import timezone
from simple_history.models import HistoricalRecords

from radiology.models import AccessionCounter, Order
from scheduling.clinic_time import clinic_zone

SERIAL_DIGITS = 5

_COUNTER = AccessionCounter._meta.db_table
# One statement for both databases (SQLite 3.35+ has RETURNING): the day's first number
# creates its row, a rival creating it at the same moment is waited for, then incremented.
_NEXT_SERIAL = (
    f'INSERT INTO {_COUNTER} ("day", "last") VALUES (%s, 1) '  # noqa: S608 - our table name
    f'ON CONFLICT ("day") DO UPDATE SET "last" = {_COUNTER}."last" + 1 RETURNING "last"'
)


def accession_prefix(*, now: datetime) -> str:
    return f"GA{now.astimezone(clinic_zone()).date():%Y%m%d}"


def new_accession_number(*, now: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_SERIAL, [now.astimezone(clinic_zone()).date()])
        (serial,) = cursor.fetchone()
    return f"{accession_prefix(now=now)}{serial:0{SERIAL_DIGITS}d}"


def new_study_instance_uid() -> str:
    return f"2.25.{uuid.uuid4().int}"


def open_order(*, now: datetime, **fields) -> Order:
    """Insert an order with fresh identifiers, and its "+" history record (validation is
    the caller's)."""
    fields.setdefault("received_at", now)
    order = Order(study_instance_uid=new_study_instance_uid(), **fields)
    if _in_one_statement():
        _insert_with_history(order, now=now)
    else:
        order.accession_number = new_accession_number(now=now)
        order.save()
    return order


# --- PostgreSQL: one statement -------------------------------------------------------


def _in_one_statement() -> bool:
    return connection.vendor == "postgresql"


_HISTORY = Order.history.model
# The record's own columns, as simple-history fills them for a creation; every other column
# of the historical table is the order's (a new one there fails _history_values loudly).
_RECORD_OWN = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def _insert_with_history(order: Order, *, now: datetime) -> None:
    order_fields = [f for f in Order._meta.local_concrete_fields if not f.primary_key]
    placeholders, params = [], []
    for field in order_fields:
        if field.attname == "accession_number":
            # Its serial from the first CTE, padded as new_accession_number pads it.
            placeholders.append(f"(SELECT %s || lpad(serial.last::text, {SERIAL_DIGITS}, '0') FROM serial)")  # noqa: S608
            params.append(accession_prefix(now=now))
        else:
            placeholders.append("%s")
            params.append(field.get_db_prep_save(field.pre_save(order, add=True), connection))
    history_columns, history_placeholders, history_params = _history_values(order)
    sql = (
        f"WITH serial AS ({_NEXT_SERIAL}), "  # noqa: S608 - our tables and columns, the values bound
        f"created AS (INSERT INTO {Order._meta.db_table} ({_columns(order_fields)}) "
        f"VALUES ({', '.join(placeholders)}) RETURNING id, accession_number) "
        f"INSERT INTO {_HISTORY._meta.db_table} ({', '.join(history_columns)}) "
        f"VALUES ({', '.join(history_placeholders)}) RETURNING id, accession_number"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now.astimezone(clinic_zone()).date(), *params, *history_params])
        order.pk, order.accession_number = cursor.fetchone()
    order._state.adding, order._state.db = False, connection.alias


def _history_values(order: Order):
    """The "+" record's columns and values: the order's (its id and accession number from
    the `created` CTE) and the record's own, as simple-history's create_historical_record
    sets them (now, no reason, the request's user when one is logged in)."""
    own = {
        "history_date": timezone.now(),
        "history_change_reason": getattr(order, "_change_reason", None),
        "history_type": "+",
        "history_user_id": _history_user_id(order),
    }
    columns, placeholders, params = [], [], []
    for field in _HISTORY._meta.concrete_fields:
        if field.attname == "history_id":
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in ("id", "accession_number"):
            placeholders.append(f"(SELECT {field.column} FROM created)")  # noqa: S608 - a column of ours
            continue
        if field.attname in _RECORD_OWN:
            value = own[field.attname]
        elif field.attname in _ORDER_ATTNAMES:
            value = getattr(order, field.attname)
        else:
            raise AssertionError(f"{_HISTORY.__name__}.{field.attname}: neither the order's nor simple-history's")
        placeholders.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    return columns, placeholders, params


_ORDER_ATTNAMES = {f.attname for f in Order._meta.concrete_fields}


def _history_user_id(order: Order) -> int | None:
    """simple-history's HistoricalRecords.get_history_user: the instance's _history_user, or
    the user of the request its middleware noted, when logged in."""
    user = getattr(order, "_history_user", None)
    if user is None:
        request = getattr(HistoricalRecords.context, "request", None)
        user = getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
    return user.pk if user is not None else None


def _columns(fields) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)

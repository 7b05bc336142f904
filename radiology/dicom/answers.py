"""Worklist answers, encoded once and kept while nothing they show changes.

A modality asks the same question every few minutes (its station, today). Two layers keep
that cheap without ever answering from stale rows:

1. The whole answer, under the change counter of the days the query asks about
   (radiology.services.day_version: every change a worklist item shows grows it, in the
   same transaction). A repeated query with nothing changed costs that one small read.
2. Each appointment's reply, under the exact values it is built from (the worklist fields
   of its row). After a change (a check-in, another booking) the answer is rebuilt from one
   read of those values, and only the rows whose values changed are built and encoded again.

Replies are kept encoded and go out as pydicom raw elements, written as they are: encoding
200 datasets element by element was most of an answer's time.

The counter is read before the rows: an answer built from rows newer than its counter is
harmless (a later query sees the newer counter and misses); the other order could keep an
old answer under a new counter. A reply is kept under the values of the row it was built
from, read in the same query.

Per process (the worklist service is one process) and bounded. Settings that shape an
answer are part of the keys; tests clear both layers with `forget()`.
"""

import threading
from collections import OrderedDict
from io import BytesIO

from django.conf import settings
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset
from pynetdicom.dsutils import encode

from radiology.dicom import worklist
from radiology.modality_selectors import WORKLIST_FIELDS
from radiology.services.day_version import days_version

MAX_ANSWERS = 64  # distinct queries (station × date range × keys) × counter values
MAX_REPLIES = 20_000  # appointments × query shapes, a few hundred bytes each

_answers: OrderedDict = OrderedDict()
_replies: OrderedDict = OrderedDict()
_lock = threading.Lock()
_NO_MATCH = ()


def _settings_key() -> tuple:
    return (
        settings.WORKLIST_UNKNOWN_STATION,
        settings.WORKLIST_NAMES_CASE_INSENSITIVE,
        settings.WORKLIST_ISSUER_OF_PATIENT_ID,
        settings.TIME_ZONE,
    )


def _kept(store: OrderedDict, key):
    with _lock:
        value = store.get(key)
        if value is not None:
            store.move_to_end(key)
        return value


def _keep(store: OrderedDict, key, value, limit: int) -> None:
    with _lock:
        store[key] = value
        while len(store) > limit:
            store.popitem(last=False)


def _raw(reply: Dataset, implicit: bool, little: bool) -> tuple:
    """The reply as its character set and (tag, raw element) pairs, in the transfer
    syntax's encoding."""
    parsed = read_dataset(BytesIO(encode(reply, implicit, little)), implicit, little)
    return parsed.original_character_set, tuple((tag, parsed.get_item(tag)) for tag in parsed.keys())  # noqa: SIM118 - iterating a Dataset gives elements


def _dataset(kept: tuple, implicit: bool, little: bool) -> Dataset:
    """A fresh Dataset per association (pydicom converts elements it reads in place) that
    says how its raw elements are encoded, so pydicom writes them as they are."""
    character_set, elements = kept
    dataset = Dataset(dict(elements))
    dataset.set_original_encoding(implicit, little, character_set)
    return dataset


def _row_values(appointment) -> tuple:
    """The values a reply is built from, as `values_list("pk", *WORKLIST_FIELDS)` reads them."""
    values = [appointment.pk]
    for path in WORKLIST_FIELDS:
        value = appointment
        for name in path.split("__"):
            value = getattr(value, name)
        values.append(value)
    return tuple(values)


def _build(query: Dataset, shape: tuple, implicit: bool, little: bool) -> tuple:
    appointments = worklist.candidates(query)
    rows = list(appointments.values_list("pk", *WORKLIST_FIELDS))
    replies = {row[0]: _kept(_replies, (shape, row)) for row in rows}
    missing = [pk for pk, reply in replies.items() if reply is None]
    if missing:
        for appointment in appointments.filter(pk__in=missing):
            reply = worklist.reply_for(appointment, query)
            replies[appointment.pk] = _NO_MATCH if reply is None else _raw(reply, implicit, little)
            _keep(_replies, (shape, _row_values(appointment)), replies[appointment.pk], MAX_REPLIES)
    # In the order of the rows; one gone between the two reads is left out.
    return tuple(reply for pk, reply in replies.items() if reply)


def replies(query: Dataset, *, implicit_vr: bool = True, little_endian: bool = True) -> list[Dataset]:
    """The worklist's answer to a C-FIND query, as datasets ready to send in the negotiated
    transfer syntax. The same matches and keys as `worklist.find`, which decides them."""
    first, last = worklist.query_days(query)
    version = days_version(first=first, last=last)
    encoded_query = encode(query, implicit_vr, little_endian)
    if encoded_query is None:  # not encodable: answer it, keep nothing
        return worklist.find(query)
    shape = (encoded_query, implicit_vr, little_endian, _settings_key())
    kept = _kept(_answers, (version, shape))
    if kept is None:
        kept = _build(query, shape, implicit_vr, little_endian)
        _keep(_answers, (version, shape), kept, MAX_ANSWERS)
    return [_dataset(reply, implicit_vr, little_endian) for reply in kept]


def forget() -> None:
    with _lock:
        _answers.clear()
        _replies.clear()

"""Worklist answers, encoded once and kept while nothing they show changes.

A modality asks the same question every few minutes (its station, today). Its answer
changes only when a booking, a patient, an order or reference data (rooms, names, the
catalog) changes, and each such change grows radiology.services.day_version's counters in
the same transaction. So an answer is kept under the counter of the days its query asks
about: a repeated query costs one small read. The replies are kept encoded and go out as
pydicom raw elements, which are written as they are: encoding 200 datasets element by
element was most of an answer's time, on every association.

The counter is read before the items. An answer computed from newer rows than its counter
says is harmless: a later query sees the newer counter and misses. The other order could
keep an old answer under a new counter.

Per process (the worklist service is one process) and bounded. Settings that shape an
answer are part of the key; tests clear it with `forget()`.
"""

import threading
from collections import OrderedDict
from io import BytesIO

from django.conf import settings
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset
from pynetdicom.dsutils import encode

from radiology.dicom import worklist
from radiology.services.day_version import days_version

MAX_ANSWERS = 64  # distinct queries (station × date range × keys) kept

_answers: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _settings_key() -> tuple:
    return (
        settings.WORKLIST_UNKNOWN_STATION,
        settings.WORKLIST_NAMES_CASE_INSENSITIVE,
        settings.WORKLIST_ISSUER_OF_PATIENT_ID,
        settings.TIME_ZONE,
    )


def _raw_elements(reply: Dataset, implicit: bool, little: bool) -> tuple:
    """The reply as its character set and (tag, raw element) pairs, in the transfer
    syntax's encoding."""
    parsed = read_dataset(BytesIO(encode(reply, implicit, little)), implicit, little)
    return parsed.original_character_set, tuple((tag, parsed.get_item(tag)) for tag in parsed.keys())  # noqa: SIM118 - iterating a Dataset gives elements, not tags


def _dataset(kept: tuple, implicit: bool, little: bool) -> Dataset:
    """A fresh Dataset per association (pydicom converts elements it reads in place) that
    says how its raw elements are encoded, so pydicom writes them as they are."""
    character_set, elements = kept
    dataset = Dataset(dict(elements))
    dataset.set_original_encoding(implicit, little, character_set)
    return dataset


def replies(query: Dataset, *, implicit_vr: bool = True, little_endian: bool = True) -> list[Dataset]:
    """The worklist's answer to a C-FIND query, as datasets ready to send in the negotiated
    transfer syntax. Same matches and keys as `worklist.find`, which decides them."""
    first, last = worklist.query_days(query)
    version = days_version(first=first, last=last)
    encoded_query = encode(query, implicit_vr, little_endian)
    if encoded_query is None:  # not encodable: answer it, keep nothing
        return worklist.find(query)
    key = (version, encoded_query, implicit_vr, little_endian, _settings_key())
    with _lock:
        kept = _answers.get(key)
        if kept is not None:
            _answers.move_to_end(key)
    if kept is None:
        kept = tuple(_raw_elements(reply, implicit_vr, little_endian) for reply in worklist.find(query))
        with _lock:
            _answers[key] = kept
            while len(_answers) > MAX_ANSWERS:
                _answers.popitem(last=False)
    return [_dataset(reply, implicit_vr, little_endian) for reply in kept]


def forget() -> None:
    with _lock:
        _answers.clear()

"""Worklist answers, encoded once and kept while nothing they show changes.

A modality asks the same question every few minutes (its station, today). Two layers keep
that cheap without ever answering from stale rows:

1. The whole answer, under the change counter of the days the query asks about
   (radiology.services.day_version: every change a worklist item shows grows it, in the
   same transaction). A repeated query with nothing changed costs that one small read.
2. Each appointment's reply, under the exact values it is built from (the worklist fields
   of its row). After a change (a check-in, another booking) the answer is rebuilt from one
   read of those values, and only the rows whose values changed are built and encoded again.

Replies are kept as the bytes of their identifier in the negotiated transfer syntax, ready
for radiology.interfaces.dicom.pending to send: encoding 200 datasets element by element was most of
an answer's time.

The counter is read before the rows: an answer built from rows newer than its counter is
harmless (a later query sees the newer counter and misses); the other order could keep an
old answer under a new counter. A reply is kept under the values of the row it was built
from, read in the same query.

Per process (the worklist service is one process) and bounded. Settings that shape an
answer are part of the keys; tests clear both layers with `forget()`.
"""

import threading
from collections import OrderedDict

from django.conf import settings
from pydicom.dataset import Dataset
from pydicom.uid import UID, ImplicitVRLittleEndian
from pynetdicom.dsutils import encode

from radiology.interfaces.dicom import worklist
from radiology.interfaces.dicom.items import ROW_KEYS, item_dataset, item_values
from radiology.interfaces.dicom.replies import NOT_MINE
from radiology.interfaces.dicom.replies import plan as replies_plan
from radiology.interfaces.dicom.replies import reply as written_reply
from radiology.services.day_version import days_version

MAX_ANSWERS = 64  # distinct queries (station × date range × keys) × counter values
MAX_REPLIES = 20_000  # appointments × query shapes, a few hundred bytes each

_answers: OrderedDict = OrderedDict()
_replies: OrderedDict = OrderedDict()
_lock = threading.Lock()
_NO_MATCH = b""  # kept too: a row that does not match is not matched again
_ENGINE = object()  # a query the replies module leaves to the matching engine


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


class NotEncodable(ValueError):
    pass


def _encoded(dataset: Dataset, syntax: UID) -> bytes:
    encoded = encode(dataset, syntax.is_implicit_VR, syntax.is_little_endian, syntax.is_deflated)
    if encoded is None:  # pynetdicom has logged pydicom's reason
        raise NotEncodable(f"a worklist reply cannot be encoded in {syntax.name}")
    return encoded


PATIENT_ID = 0x00100020


def _build(query: Dataset, shape: tuple, syntax: UID) -> tuple:
    """(identifier, MRN it names) for each matching row, in the rows' order."""
    rows = list(worklist.candidates(query).values_list(*ROW_KEYS))
    query_plan = None
    # A reply holds exactly the query's keys: it names her MRN when the query asks for it.
    names_mrn = PATIENT_ID in query
    answer = []
    for row in rows:
        reply = _kept(_replies, (shape, row))
        if reply is None:
            if query_plan is None:
                names = settings.WORKLIST_NAMES_CASE_INSENSITIVE
                query_plan = replies_plan(query, syntax=syntax, names_case_insensitive=names) or _ENGINE
            values = item_values(dict(zip(ROW_KEYS, row, strict=True)))
            encoded = _reply(query, query_plan, values, syntax)
            reply = (encoded, values["PatientID"] if names_mrn else "") if encoded else _NO_MATCH
            _keep(_replies, (shape, row), reply, MAX_REPLIES)
        if reply:
            answer.append(reply)
    return tuple(answer)


def _reply(query: Dataset, query_plan, values: dict, syntax: UID) -> bytes:
    """One item's reply, written from its values; by the engine and pydicom's writer when
    that writer does not cover it (radiology.interfaces.dicom.replies)."""
    if query_plan is not _ENGINE:
        reply = written_reply(query_plan, values)
        if reply is not NOT_MINE:
            return reply
    reply = worklist.reply_for(item_dataset(values), query)
    return _NO_MATCH if reply is None else _encoded(reply, syntax)


def answer(query: Dataset, *, syntax: UID = ImplicitVRLittleEndian) -> tuple[list[bytes], list[str]]:
    """The worklist's answer to a C-FIND query: each matching reply's identifier, encoded in
    the negotiated transfer syntax, and the MRNs (PatientID) the replies name, for the read
    audit. The same matches and keys as `worklist.find`, which decides them."""
    syntax = UID(syntax)
    first, last = worklist.query_days(query)
    version = days_version(first=first, last=last)
    encoded_query = encode(query, syntax.is_implicit_VR, syntax.is_little_endian)
    if encoded_query is None:  # not encodable: answer it, keep nothing
        found = worklist.find(query)
        return [_encoded(reply, syntax) for reply in found], [str(reply.get("PatientID", "")) for reply in found]
    shape = (encoded_query, str(syntax), _settings_key())
    kept = _kept(_answers, (version, shape))
    if kept is None:
        kept = _build(query, shape, syntax)
        _keep(_answers, (version, shape), kept, MAX_ANSWERS)
    return [encoded for encoded, _ in kept], [mrn for _, mrn in kept]


def replies(query: Dataset, *, syntax: UID = ImplicitVRLittleEndian) -> list[bytes]:
    """The answer's identifiers alone."""
    return answer(query, syntax=syntax)[0]


def forget() -> None:
    with _lock:
        _answers.clear()
        _replies.clear()

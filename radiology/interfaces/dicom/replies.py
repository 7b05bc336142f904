"""A worklist reply written straight from an item's values, with the matching engine's
decisions and pydicom's bytes, without a pydicom Dataset per item.

A cold answer (the first after a start, nothing kept) built a Dataset per item, matched it and
copied it through pydicom's element objects, and wrote it with pydicom's writer element by
element: for 200 items 0.7 ms an item, most of the answer's time (issue 24). Here the query
is read once into a Plan: its keys in order, which of them filter, what each sequence asks
for; each item (items.item_values) is then matched with matching.match_value, the function
the engine calls for every element, and its reply written as pydicom writes it: tags in
order; tag, VR and length as the syntax says; even lengths, padded with a space (a NUL for
UIDs); text in the item's character set (ISO_IR 192); sequences and their items of defined
length.

It covers what the worklist builds and modalities ask, in little endian (implicit or
explicit VR). Anything else is not this writer's: `plan` gives None (big endian, deflated, a
key of a VR it does not know) or `reply` gives NOT_MINE (a value that is not text, a key
whose sequence-ness differs from the item's), and the caller answers with the engine
(matching.py) and pydicom's writer. tests/radiology/interfaces/dicom/test_replies.py holds
the two byte-identical.
"""

import struct
from dataclasses import dataclass
from functools import cached_property

from pydicom.dataset import Dataset
from pydicom.uid import UID
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32, PersonName

from radiology.interfaces.dicom.items import CHARACTER_SET, tag_and_vr
from radiology.interfaces.dicom.matching import ALWAYS_RETURNED, is_empty, match_value

NOT_MINE = None
NO_MATCH = b""
CHARACTER_SET_TAG = 0x00080005
ITEM_TAG = b"\xfe\xff\x00\xe0"  # (FFFE,E000) little endian
TEXT_IN_CHARACTER_SET = {"LO", "LT", "SH", "ST", "UC", "UT"}  # and PN: pydicom's CUSTOMIZABLE_CHARSET_VR
PLAIN_TEXT = {"AE", "AS", "CS", "DA", "DT", "TM", "UR"}  # pydicom writes these in its default, Latin-1
KNOWN_VRS = {
    *TEXT_IN_CHARACTER_SET,
    *PLAIN_TEXT,
    *("PN", "UI", "SQ", "AT", "DS", "IS", "FD", "FL", "SL", "SS", "SV", "UL", "US", "UV"),
    *("OB", "OD", "OF", "OL", "OW", "OV", "UN"),
}
LONG_LENGTH = {str(vr) for vr in EXPLICIT_VR_LENGTH_32}
ENCODINGS = {CHARACTER_SET: "utf_8"}


class _NotMine(Exception):  # noqa: N818 - a signal inside this module, never raised out of it
    pass


@dataclass(frozen=True)
class Key:
    """One key of the query (or of a sequence's item), as matches() and build_reply() read it."""

    tag: int
    vr: str
    value: object
    is_sequence: bool
    filters: bool  # it holds a value (a sequence: somewhere): an empty key matches every item
    whole: bool  # a sequence: empty, or its item has no keys: the item's sequence is returned whole
    item: "Plan | None"  # a sequence's first item


@dataclass(frozen=True)
class Plan:
    keys: tuple[Key, ...]
    explicit_vr: bool
    names_case_insensitive: bool

    @cached_property
    def by_tag(self) -> dict[int, Key]:
        """Its keys by tag: an item's elements are read for these alone (and its character set)."""
        return {key.tag: key for key in self.keys}


def plan(query: Dataset, *, syntax: UID, names_case_insensitive: bool) -> Plan | None:
    """The query read once, or None when its answer is not this writer's."""
    if not syntax.is_little_endian or syntax.is_deflated:
        return None
    try:
        return _plan(query, explicit_vr=not syntax.is_implicit_VR, names_case_insensitive=names_case_insensitive)
    except _NotMine:
        return None


def _plan(query: Dataset, *, explicit_vr: bool, names_case_insensitive: bool) -> Plan:
    keys = []
    for element in query:
        tag = element.tag
        # What matches() and build_reply() both pass over.
        if tag in ALWAYS_RETURNED or tag.element == 0 or tag.is_private:
            continue
        if element.VR not in KNOWN_VRS:
            raise _NotMine
        is_sequence = element.VR == "SQ"
        item = None
        if is_sequence and len(element.value):
            item = _plan(element.value[0], explicit_vr=explicit_vr, names_case_insensitive=names_case_insensitive)
        keys.append(
            Key(
                tag=int(tag),
                vr=element.VR,
                value=element.value,
                is_sequence=is_sequence,
                filters=not is_empty(element.value),
                whole=is_sequence and (len(element.value) == 0 or len(element.value[0]) == 0),
                item=item,
            )
        )
    return Plan(keys=tuple(keys), explicit_vr=explicit_vr, names_case_insensitive=names_case_insensitive)


def reply(query_plan: Plan, values: dict) -> bytes | None:
    """The encoded reply of one item (items.item_values) to the planned query: its bytes,
    NO_MATCH, or NOT_MINE."""
    item = _elements(values, query_plan)
    try:
        if not _matches(query_plan, item):
            return NO_MATCH
        charset = item.get(CHARACTER_SET_TAG)
        if charset is None or charset[1] not in ENCODINGS:
            raise _NotMine
        return _encode(_reply(query_plan, item), query_plan.explicit_vr, ENCODINGS[charset[1]])
    except _NotMine:
        return NOT_MINE


def _elements(values: dict, query_plan: Plan | None) -> dict:
    """{tag: (VR, value)} of the item's elements the plan reads (None: all of them, for a
    sequence returned whole), a sequence's value a list of such dicts. A name stays the text
    items.person_name wrote: matching compares that text, and in UTF-8 it is written as
    pydicom writes the PersonName made of it (test_replies holds the bytes equal)."""
    wanted = None if query_plan is None else query_plan.by_tag
    elements = {}
    for keyword, value in values.items():
        tag, vr = _tag_and_vr(keyword)
        if wanted is not None and tag not in wanted and tag != CHARACTER_SET_TAG:
            continue  # not asked for: neither matched nor returned
        if vr == "SQ":
            key = wanted[tag] if wanted is not None else None
            value = [_elements(sub, None if key is None or key.whole else key.item) for sub in value]
        elements[tag] = (vr, value)
    return elements


_TAGS: dict[str, tuple[int, str]] = {}


def _tag_and_vr(keyword: str) -> tuple[int, str]:
    """items.tag_and_vr as (int, VR), from a plain dict: an item has some 35 keywords."""
    found = _TAGS.get(keyword)
    if found is None:
        tag, vr = tag_and_vr(keyword)
        found = _TAGS[keyword] = (int(tag), vr)
    return found


def _matches(query_plan: Plan, item: dict) -> bool:
    """matching.matches on the plan."""
    for key in query_plan.keys:
        ours = item.get(key.tag)
        if ours is None:
            continue  # not a key we support: a return key only
        vr, value = ours
        if key.is_sequence != (vr == "SQ"):
            raise _NotMine
        if not key.filters:
            continue  # match_value's and _match_sequence's first answer
        if key.is_sequence:
            if not any(_matches(key.item, sub) for sub in value):
                return False
        elif not match_value(vr, value, key.value, names_case_insensitive=query_plan.names_case_insensitive):
            return False
    return True


def _reply(query_plan: Plan, item: dict) -> dict:
    """matching.build_reply on the plan: the query's keys with the item's values, empty (in
    the query's VR) where it has none, plus the character set."""
    elements = {}
    if CHARACTER_SET_TAG in item:
        elements[CHARACTER_SET_TAG] = item[CHARACTER_SET_TAG]
    for key in query_plan.keys:
        ours = item.get(key.tag)
        if ours is None:
            elements[key.tag] = (key.vr, None)
        elif key.is_sequence:
            subs = ours[1]
            if not key.whole:
                subs = [_reply(key.item, sub) for sub in subs if _matches(key.item, sub)]
            elements[key.tag] = ("SQ", subs)
        else:
            elements[key.tag] = ours
    return elements


def _encode(elements: dict, explicit_vr: bool, encoding: str) -> bytes:
    """pydicom's write_dataset, little endian, for these elements."""
    parts = []
    for tag in sorted(elements):
        vr, value = elements[tag]
        if vr == "SQ":
            items = []
            for sub in value or ():
                if CHARACTER_SET_TAG in sub:
                    raise _NotMine  # an item with a character set of its own
                encoded = _encode(sub, explicit_vr, encoding)
                items.append(ITEM_TAG + struct.pack("<I", len(encoded)) + encoded)
            body = b"".join(items)
        else:
            body = _value(vr, value, encoding)
        if not explicit_vr:
            parts.append(struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(body)))
        elif vr in LONG_LENGTH:
            parts.append(struct.pack("<HH2sxxI", tag >> 16, tag & 0xFFFF, vr.encode(), len(body)))
        elif len(body) <= 0xFFFF:
            parts.append(struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(body)))
        else:
            raise _NotMine  # pydicom writes it as UN, with a warning
        parts.append(body)
    return b"".join(parts)


def _value(vr: str, value, encoding: str) -> bytes:
    if value is None or value == "":
        return b""
    if vr == "PN" and isinstance(value, PersonName):
        encoded = value.encode([encoding])
    elif not isinstance(value, str):
        raise _NotMine
    elif vr in TEXT_IN_CHARACTER_SET or vr == "PN":
        encoded = value.encode(encoding)
    elif vr in PLAIN_TEXT or vr == "UI":
        if len(value) % 2:
            value += "\0" if vr == "UI" else " "
        try:
            return value.encode("latin_1")
        except UnicodeEncodeError:
            raise _NotMine from None  # pydicom cannot write it either: the engine's path says so
    else:
        raise _NotMine
    return encoded + b" " if len(encoded) % 2 else encoded

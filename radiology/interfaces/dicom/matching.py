"""Attribute matching for C-FIND, as DICOM PS3.4 C.2.2.2 defines it, on pydicom Datasets.

Pure functions: `matches(item, query)` says whether a worklist item answers a query's
matching keys, `build_reply(item, query)` returns exactly the keys the query asked for.

What each kind of key means (PS3.4 C.2.2.2):
- empty value: universal matching — everything matches, the value is returned;
- a value without wildcards: single value matching — exact (trailing spaces do not count);
  person names (PN) compare case-insensitively when `names_case_insensitive` is true,
  which is what staff at a modality expect ("núñez*" finds "Núñez^José");
- `*` (any run, also empty) and `?` (one character): wildcard matching, for the text VRs;
- DA, TM and DT `a-b`, `a-` and `-b`: range matching, inclusive, open at either end;
- a backslash list of UIDs: list of UID matching (any one of them);
- a sequence with no item, or with one item whose keys are all empty: return it whole;
  a sequence whose item has values: the item matches if one of its items matches them all.
A key the item does not hold is answered empty and does not filter (an SCP may choose
not to match on keys it does not support, PS3.4 C.2.2.2 last paragraph).
"""

import re

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

WILDCARD_VRS = {"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"}
RANGE_VRS = {"DA", "TM", "DT"}
# Returned in every reply whatever the query asked: the SCP's character set (PS3.4 C.4.1.1.3).
ALWAYS_RETURNED = {0x00080005}


def is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, Sequence):
        return len(value) == 0 or all(not any(not is_empty(e.value) for e in i) for i in value)
    if isinstance(value, (list, MultiValue)):
        return all(is_empty(v) for v in value)
    return str(value).strip() == ""


def _text(value) -> str:
    """A comparable string: trailing spaces and trailing empty PN components do not count."""
    text = str(value).rstrip(" ")
    return text


def _normalize_name(text: str, case_insensitive: bool) -> str:
    # PS3.5 6.2: trailing empty components ("Doe^^^") mean the same as none ("Doe").
    text = re.sub(r"\^+(?==|$)", "", text).rstrip("=")
    return text.casefold() if case_insensitive else text


def wildcard_match(pattern: str, text: str) -> bool:
    """`*` any run (also empty), `?` one character, anything else itself: the whole of `text`.

    A two-pointer match that remembers only the last `*`: at most len(pattern) × len(text)
    steps whatever the pattern. (A regular expression built from the pattern backtracks
    exponentially in the number of stars: 28 stars took 45 s and froze every association.)"""
    p = t = 0
    star, resume = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, resume = p, t  # let the star match nothing first; widen it when stuck
            p += 1
        elif p < len(pattern) and pattern[p] in ("?", text[t]):
            p += 1
            t += 1
        elif star >= 0:
            resume += 1
            p, t = star + 1, resume
        else:
            return False
    return all(c == "*" for c in pattern[p:])


def _time_key(text: str, upper: bool) -> str:
    """TM as a fixed-width string: '08' is 08:00:00.000000 as a lower bound, and the end of
    that hour as an upper bound, so '-12' includes 12:30 the way a person means it."""
    whole, _, fraction = text.replace(":", "").partition(".")
    if upper:
        return f"{whole + '595959'[len(whole) :]}.{(fraction + '999999')[:6]}"
    return f"{whole.ljust(6, '0')}.{(fraction + '000000')[:6]}"


def _range_bounds(vr: str, query: str) -> tuple[str | None, str | None]:
    low, _, high = query.partition("-")
    low, high = low.strip() or None, high.strip() or None
    if vr == "TM":
        return (_time_key(low, False) if low else None, _time_key(high, True) if high else None)
    if vr == "DT":
        # Compare as digit strings padded to the full YYYYMMDDHHMMSS.ffffff form.
        return (low.ljust(14, "0") if low else None, high.ljust(21, "9") if high else None)
    return low, high


def _value_key(vr: str, value: str) -> str:
    if vr == "TM":
        return _time_key(value, False)
    if vr == "DT":
        return value.ljust(14, "0")
    return value


def match_value(vr: str, item_value, query_value, *, names_case_insensitive: bool = True) -> bool:
    """One data element: does the item's value answer the query's (non-empty) value?"""
    if is_empty(query_value):
        return True
    if isinstance(query_value, (list, MultiValue)):
        # List of UID matching (PS3.4 C.2.2.2.2); other VRs take a list the same way.
        return any(match_value(vr, item_value, q, names_case_insensitive=names_case_insensitive) for q in query_value)
    if isinstance(item_value, (list, MultiValue)):
        return any(match_value(vr, v, query_value, names_case_insensitive=names_case_insensitive) for v in item_value)
    if item_value is None:
        return False
    query_text, item_text = _text(query_value), _text(item_value)
    if vr in RANGE_VRS and "-" in query_text:
        low, high = _range_bounds(vr, query_text)
        if not item_text:
            return False
        key = _value_key(vr, item_text)
        return (low is None or key >= low) and (high is None or key <= high)
    if vr in RANGE_VRS:
        return _value_key(vr, item_text) == _value_key(vr, query_text) if vr == "TM" else item_text == query_text
    fold = vr == "PN" and names_case_insensitive
    if vr == "PN":
        query_text, item_text = _normalize_name(query_text, fold), _normalize_name(item_text, fold)
    if vr in WILDCARD_VRS and ("*" in query_text or "?" in query_text):
        return wildcard_match(query_text, item_text)  # names were casefolded above when they fold
    return item_text == query_text


def _match_sequence(item_seq, query_seq: Sequence, *, names_case_insensitive: bool) -> bool:
    if is_empty(query_seq):
        return True
    query_item = query_seq[0]
    return any(matches(sub, query_item, names_case_insensitive=names_case_insensitive) for sub in item_seq or [])


def matches(item: Dataset, query: Dataset, *, names_case_insensitive: bool = True) -> bool:
    """True when every non-empty matching key of the query matches the item."""
    for element in query:
        if element.tag in ALWAYS_RETURNED or element.tag.is_private or element.tag.element == 0:
            continue
        if element.tag not in item:
            continue  # not a key we support: a return key only
        ours = item[element.tag]
        if element.VR == "SQ":
            if not _match_sequence(ours.value, element.value, names_case_insensitive=names_case_insensitive):
                return False
        elif not match_value(ours.VR, ours.value, element.value, names_case_insensitive=names_case_insensitive):
            return False
    return True


def build_reply(item: Dataset, query: Dataset, *, names_case_insensitive: bool = True) -> Dataset:
    """The reply: exactly the query's keys, with the item's values (empty where it has none),
    plus the character set. Sequence items are those that matched the query's item."""
    elements = {}
    if 0x00080005 in item:
        elements[item[0x00080005].tag] = item[0x00080005]
    for element in query:
        if element.tag in ALWAYS_RETURNED or element.tag.element == 0 or element.tag.is_private:
            continue
        if element.tag not in item:
            elements[element.tag] = DataElement(element.tag, element.VR, Sequence() if element.VR == "SQ" else None)
            continue
        ours = item[element.tag]
        if element.VR == "SQ":
            items = _reply_sequence(ours.value, element.value, names_case_insensitive)
            elements[element.tag] = DataElement(element.tag, "SQ", items, already_converted=True)
        else:
            # Item elements are never changed after they are built: share them, do not copy.
            elements[element.tag] = ours
    return Dataset(elements)


def _reply_sequence(item_seq, query_seq: Sequence, names_case_insensitive: bool) -> Sequence:
    if len(query_seq) == 0 or len(query_seq[0]) == 0:
        return Sequence([_copy(sub) for sub in item_seq or []])  # an empty sequence asks for all of it
    query_item = query_seq[0]
    return Sequence(
        [
            build_reply(sub, query_item, names_case_insensitive=names_case_insensitive)
            for sub in item_seq or []
            if matches(sub, query_item, names_case_insensitive=names_case_insensitive)
        ]
    )


def _copy(dataset: Dataset) -> Dataset:
    return Dataset(dict(dataset.items()))

"""The procedure catalog (procedures and their reminder rules) kept in each process, for a
booking over the API that reads none of it.

The catalog changes a few times a year, a booking reads it every time: the procedure by its
short name, then its reminder rules. Every change to either table bumps a counter in the
same transaction (triggers, migration 0030_catalog_version), and the API's token lookup
fetches the counter along with the token (security.tokens): a process then answers from
the copy it read at that counter and reads again only when it moved. A change therefore
takes effect on the next request, as if nothing were kept.

Callers get their own copy of the procedure (a kept instance is never handed out to be
changed), with its rules in `catalog_rules` (reminders._rule_messages reads them there).
"""

import copy
import threading
from datetime import date

from procedures.models import Procedure, ReminderRule
from radiology.services.day_version import counter_expression

# The counter's key in radiology_dayversion (see also permission_cache.PERMISSIONS_DAY).
CATALOG_DAY = date(1, 1, 3)

_kept: dict[str, tuple[int, Procedure | None]] = {}
_lock = threading.Lock()


def counter():
    """The catalog's counter as an annotation, for a query that fetches it along with something else."""
    return counter_expression(CATALOG_DAY)


def active_procedure(slug: str, *, version: int) -> Procedure | None:
    """The active procedure of this short name as the catalog stood at `version` (or later:
    read after the counter, a newer catalog only causes a reload next time); None if none."""
    kept = _kept.get(slug)
    if kept is None or kept[0] != version:
        procedure = Procedure.objects.filter(active=True, slug=slug).first()
        if procedure is not None:
            procedure.catalog_rules = tuple(ReminderRule.objects.filter(procedure=procedure).order_by("kind", "pk"))
        kept = (version, procedure)
        with _lock:
            _kept[slug] = kept
    return copy.copy(kept[1]) if kept[1] is not None else None


def forget() -> None:
    with _lock:
        _kept.clear()

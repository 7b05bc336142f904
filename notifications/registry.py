"""What the owners of subjects tell the outbox, by subject prefix ("appointment", "digest").

The outbox knows nothing of appointments; the app that plans messages registers, in its
AppConfig.ready(), how to:
- context(message) -> dict: fresh template values at send time (a newly signed link, today's list);
- skip_reason(message) -> str | None: re-check at send time that the message is still wanted;
- on_delivered(message): react to a delivery, inside the transaction that records it;
- link(subject) -> str | None: a staff page about the subject;
- describe(subjects) -> {subject: str}: words for staff pages ("Hernández, Ana — Wed 3 Dec
  09:30" rather than "appointment:31"), for a page of subjects at once (one query, not one each).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SubjectHandlers:
    context: Callable | None = None
    skip_reason: Callable | None = None
    on_delivered: Callable | None = None
    link: Callable | None = None
    describe: Callable | None = None


_NONE = SubjectHandlers()
_handlers: dict[str, SubjectHandlers] = {}


def register(prefix: str, **handlers) -> None:
    _handlers[prefix] = SubjectHandlers(**handlers)


def handlers_for(subject: str) -> SubjectHandlers:
    return _handlers.get(subject.partition(":")[0], _NONE)


def describe(subjects) -> dict[str, str]:
    """Each subject in words where its owner says how; the raw subject otherwise."""
    words = {subject: subject for subject in subjects}
    by_prefix: dict[str, list[str]] = {}
    for subject in words:
        by_prefix.setdefault(subject.partition(":")[0], []).append(subject)
    for prefix, group in by_prefix.items():
        handler = _handlers.get(prefix, _NONE).describe
        if handler:
            words.update(handler(group))
    return words

"""What the owners of subjects tell the outbox, by subject prefix ("appointment", "digest").

The outbox knows nothing of appointments; the app that plans messages registers, in its
AppConfig.ready(), how to:
- context(message) -> dict: fresh template values at send time (a newly signed link, today's list);
- skip_reason(message) -> str | None: re-check at send time that the message is still wanted;
- on_delivered(message): react to a delivery, inside the transaction that records it;
- link(subject) -> str | None: a staff page about the subject.
It may also name its message kinds in words (register_kind_labels), for staff pages.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SubjectHandlers:
    context: Callable | None = None
    skip_reason: Callable | None = None
    on_delivered: Callable | None = None
    link: Callable | None = None


_NONE = SubjectHandlers()
_handlers: dict[str, SubjectHandlers] = {}


def register(prefix: str, **handlers) -> None:
    _handlers[prefix] = SubjectHandlers(**handlers)


def handlers_for(subject: str) -> SubjectHandlers:
    return _handlers.get(subject.partition(":")[0], _NONE)


_kind_labels: dict[str, str] = {}


def register_kind_labels(labels: dict[str, str]) -> None:
    _kind_labels.update(labels)


def kind_label(kind: str) -> str:
    """The kind in words: as its owner named it, else the slug made readable."""
    return _kind_labels.get(kind) or kind.replace("_", " ").capitalize()

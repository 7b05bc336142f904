"""What the owners of subjects tell the outbox, by subject prefix ("appointment", "digest").

The outbox knows nothing of appointments; the app that plans messages registers, in its
AppConfig.ready(), how to:
- context(message) -> dict: fresh template values at send time (a newly signed link, today's list);
- skip_reason(message) -> str | None: re-check at send time that the message is still wanted;
- on_delivered(message): react to a delivery, inside the transaction that records it;
- link(subject) -> str | None: a staff page about the subject.
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

"""Result letters to read: the lists for schedulers and managers, the print queue, one letter.

Each list is one query (the letter with its report, appointment and patient joined).
- due: not sent yet (overdue ones included), soonest due first;
- soon: not sent and due within DUE_SOON, not yet overdue;
- overdue: not sent and past due;
- to_post: chosen for the post and not yet marked posted (the print queue);
- sent: sent, newest first."""

from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet

from radiology.models import ResultLetter

DUE_SOON = timedelta(days=3)
STATES = ("due", "soon", "overdue", "to_post", "sent")
L = ResultLetter.Status
# The print queue: chosen for the post, not posted yet, still wanted (not withdrawn, she is alive).
TO_POST = Q(channel__in=ResultLetter.BY_POST, posted_at=None, patient__deceased=False) & ~Q(status=L.WITHDRAWN)


def _letters() -> QuerySet[ResultLetter]:
    return ResultLetter.objects.select_related(
        "patient",
        "report",
        "report__appointment",
        "report__appointment__patient",
        "report__appointment__procedure",
        "sent_by",
        "posted_by",
    )


def letters_in_state(state: str, *, now: datetime) -> QuerySet[ResultLetter]:
    if state not in STATES:
        raise ValueError(f"Unknown letter list {state!r}; use one of {', '.join(STATES)}.")
    letters = _letters()
    if state == "due":
        return letters.filter(status=L.DUE).order_by("due_at", "pk")
    if state == "soon":
        return letters.filter(status=L.DUE, due_at__gte=now, due_at__lt=now + DUE_SOON).order_by("due_at", "pk")
    if state == "overdue":
        return letters.filter(status=L.DUE, due_at__lt=now).order_by("due_at", "pk")
    if state == "to_post":
        return letters.filter(TO_POST).order_by("due_at", "pk")
    return letters.filter(status=L.SENT).order_by("-sent_at", "-pk")


def letter_counts(*, now: datetime) -> dict[str, int]:
    """How many letters each list holds (one query)."""
    return ResultLetter.objects.aggregate(
        due=Count("pk", filter=Q(status=L.DUE)),
        soon=Count("pk", filter=Q(status=L.DUE, due_at__gte=now, due_at__lt=now + DUE_SOON)),
        overdue=Count("pk", filter=Q(status=L.DUE, due_at__lt=now)),
        to_post=Count("pk", filter=TO_POST),
        sent=Count("pk", filter=Q(status=L.SENT)),
    )


def letter(pk: int) -> ResultLetter | None:
    return _letters().filter(pk=pk).first()


def letter_of_appointment(appointment_id: int) -> ResultLetter | None:
    return _letters().filter(report__appointment_id=appointment_id).first()


def released_letter(appointment_id: int) -> ResultLetter | None:
    """Her letter as her page shows it: once it has been sent to her (by post or link), and
    never to a patient who has died."""
    return _letters().filter(report__appointment_id=appointment_id, status=L.SENT, patient__deceased=False).first()


def letters_on_time(*, start: datetime, end: datetime) -> float | None:
    """Of the letters due in [start, end) (withdrawn ones aside: she died, or the report was
    replaced), the percentage sent by their due time; None when none was due. One query."""
    counts = (
        ResultLetter.objects.filter(due_at__gte=start, due_at__lt=end)
        .exclude(status=L.WITHDRAWN)
        .aggregate(due=Count("pk"), on_time=Count("pk", filter=Q(sent_at__lte=F("due_at"))))
    )
    return round(counts["on_time"] / counts["due"] * 100, 1) if counts["due"] else None

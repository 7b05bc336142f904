from django.db.models import Case, Count, F, Min, Q, QuerySet, When

from notifications.models import Message


def delivery_problems() -> QuerySet[Message]:
    """Failed, skipped and unknown messages, newest first: the staff's follow-up list."""
    return Message.objects.filter(status__in=Message.PROBLEMS).order_by("-due_at", "-pk")


def backlog(*, now) -> dict[str, dict]:
    """What is due and not yet delivered, per channel: {channel: {"waiting": n, "retrying": n,
    "oldest_seconds": s}}, only channels with something waiting. "Waiting" counts scheduled,
    sending and unknown rows that are due (queued behind an earlier row of their order key
    included) and rows whose retry is due later (a receiver that is down); "retrying" is how
    many of them have failed at least once. The oldest's wait runs from its due time, or, for a
    row whose retry moved its due time on, from when it was planned (an HL7 event is planned
    due at once). One query."""
    rows = (
        Message.objects.filter(status__in=Message.PENDING)
        .filter(Q(due_at__lte=now) | Q(attempts__gt=0))
        .values("channel")
        .annotate(
            waiting=Count("pk"),
            retrying=Count("pk", filter=Q(attempts__gt=0)),
            since=Min(Case(When(due_at__lte=now, then=F("due_at")), default=F("created_at"))),
        )
        .order_by("channel")
    )
    return {
        row["channel"]: {
            "waiting": row["waiting"],
            "retrying": row["retrying"],
            "oldest_seconds": max(0, round((now - row["since"]).total_seconds())),
        }
        for row in rows
    }

from django.db.models import QuerySet

from notifications.models import Message


def delivery_problems() -> QuerySet[Message]:
    """Failed, skipped and unknown messages, newest first: the staff's follow-up list."""
    return Message.objects.filter(status__in=Message.PROBLEMS).order_by("-due_at", "-pk")

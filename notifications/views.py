"""Staff pages about delivery: what failed, what was skipped, what is being checked."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from notifications import registry, selectors, services
from notifications.models import Message


@login_required
@permission_required("notifications.view_message", raise_exception=True)
def problems(request):
    page = Paginator(selectors.delivery_problems(), 50).get_page(request.GET.get("page"))
    words = registry.describe({message.subject for message in page})
    for message in page:
        link = registry.handlers_for(message.subject).link
        message.subject_url = link(message.subject) if link else None
        message.subject_words = words[message.subject]
    backlog = selectors.backlog(now=timezone.now())
    channels = dict(Message.Channel.choices)
    waiting = [
        {"channel": channels.get(channel, channel), "oldest": _duration(row["oldest_seconds"]), **row}
        for channel, row in backlog.items()
    ]
    return render(request, "notifications/problems.html", {"page": page, "backlog": waiting})


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@login_required
@permission_required("notifications.change_message", raise_exception=True)
@require_POST
def send_again(request, pk):
    if services.send_again(message_id=pk):
        flash.success(request, "The message is queued again and goes out now.")
    else:
        flash.error(request, "That message is no longer waiting for follow-up.")
    return redirect("notifications:problems")

"""Staff pages about delivery: what failed, what was skipped, what is being checked."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from notifications import registry, selectors, services


@login_required
@permission_required("notifications.view_message", raise_exception=True)
def problems(request):
    page = Paginator(selectors.delivery_problems(), 50).get_page(request.GET.get("page"))
    words = registry.describe({message.subject for message in page})
    for message in page:
        link = registry.handlers_for(message.subject).link
        message.subject_url = link(message.subject) if link else None
        message.subject_words = words[message.subject]
    return render(request, "notifications/problems.html", {"page": page})


@login_required
@permission_required("notifications.change_message", raise_exception=True)
@require_POST
def send_again(request, pk):
    if services.send_again(message_id=pk):
        flash.success(request, "The message is queued again and goes out within a minute.")
    else:
        flash.error(request, "That message is no longer waiting for follow-up.")
    return redirect("notifications:problems")

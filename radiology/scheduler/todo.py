"""The schedulers' to-do list page (the rules are in radiology.selectors.scheduler_todo)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils import timezone

from radiology.selectors import scheduler_todo


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
def todo(request):
    return render(request, "radiology/scheduler/todo.html", {"items": scheduler_todo(now=timezone.now())})

"""The inbox of patients' texts: thin views over selectors/inbox.py and services/inbound_sms.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from notifications.opt_out import opted_out_numbers
from radiology.errors import ServiceRefusal
from radiology.presentation.refusals import forbidden
from radiology.selectors.inbox import inbox as inbox_rows
from radiology.services import inbound_sms


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
def inbox(request):
    waiting, recent = inbox_rows(now=timezone.now())
    stopped = opted_out_numbers(row.message.from_number for row in waiting + recent)
    return render(request, "radiology/inbox/inbox.html", {"waiting": waiting, "recent": recent, "stopped": stopped})


def _act(request, pk, action, done: str):
    try:
        action()
    except ServiceRefusal as error:
        if error.code == "forbidden":
            return forbidden(request, error)
        if error.code == "not_found":
            raise Http404(str(error)) from None
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("radiology:sms_inbox")


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
@require_POST
def reply(request, pk):
    """Answer by text (through the outbox); it leaves the inbox."""
    return _act(
        request,
        pk,
        lambda: inbound_sms.reply_from_staff(
            inbound_id=pk, actor=request.user, text=request.POST.get("text", ""), now=timezone.now()
        ),
        "Answer sent by text.",
    )


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
@require_POST
def handled(request, pk):
    return _act(
        request,
        pk,
        lambda: inbound_sms.mark_handled(inbound_id=pk, actor=request.user, now=timezone.now()),
        "Marked handled.",
    )

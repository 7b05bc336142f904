"""Result letters for schedulers and managers: the lists (due, due soon, overdue, sent), the
print queue with its "posted" mark, sending by post, link or both, and a letter's PDF.
The rules are radiology.services.letters'; the lists radiology.selectors.letters'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from radiology.encoders.letter_pdf import letter_pdf_of
from radiology.errors import ServiceRefusal
from radiology.models import ResultLetter
from radiology.selectors import letters as selectors
from radiology.services import letters as services
from security.access_log import What, record_access

SEND = "radiology.send_result_letter"
TITLES = {
    "due": "Letters due",
    "soon": "Letters due soon",
    "overdue": "Letters overdue",
    "to_post": "Letters to print and post",
    "sent": "Letters sent",
}


@login_required
@permission_required(SEND, raise_exception=True)
@require_safe
def letter_list(request):
    state = request.GET.get("show", "due")
    if state not in selectors.STATES:
        state = "due"
    now = timezone.now()
    counts = selectors.letter_counts(now=now)
    return render(
        request,
        "radiology/letters/list.html",
        {
            "state": state,
            "title": TITLES[state],
            "tabs": [(key, TITLES[key], counts[key]) for key in selectors.STATES],
            "letters": [(letter, letter.state(now)) for letter in selectors.letters_in_state(state, now=now)],
            "channels": ResultLetter.Channel.choices,
        },
    )


@login_required
@permission_required(SEND, raise_exception=True)
@require_safe
def print_queue(request):
    return render(
        request,
        "radiology/letters/print_queue.html",
        {"letters": list(selectors.letters_in_state("to_post", now=timezone.now()))},
    )


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@login_required
@permission_required(SEND, raise_exception=True)
@require_POST
def send(request, pk):
    try:
        letter = services.send_letter(
            letter_id=pk, channel=request.POST.get("channel", ""), actor=request.user, now=timezone.now()
        )
    except ServiceRefusal as error:
        if error.code == "not_found":
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        how = letter.get_channel_display().lower()
        messages.success(request, f"{letter.patient.full_name}: the letter goes {how}.")
    return _back(request, "radiology:letters")


@login_required
@permission_required(SEND, raise_exception=True)
@require_POST
def posted(request, pk):
    try:
        letter = services.mark_posted(letter_id=pk, actor=request.user, now=timezone.now())
    except ServiceRefusal as error:
        if error.code == "not_found":
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, f"{letter.patient.full_name}: marked posted.")
    return _back(request, "radiology:letter_print_queue")


@login_required
@permission_required("radiology.view_resultletter", raise_exception=True)
@require_safe
def pdf(request, pk):
    letter = selectors.letter(pk)
    if letter is None:
        raise Http404("There is no such letter.")
    record_access(request=request, patient_ids=[letter.patient_id], what=What.PATIENT_PAGE)
    response = HttpResponse(letter_pdf_of(letter, now=timezone.now()), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letter-{letter.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response

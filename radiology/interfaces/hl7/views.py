"""The interface messages page: what the EHR sent, what we answered, and why."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from radiology.models import InterfaceMessage

PAGE_SIZE = 50


@login_required
@permission_required("radiology.view_interfacemessage", raise_exception=True)
def interface_messages(request):
    rows = InterfaceMessage.objects.select_related("order").defer("raw", "reply")
    outcome = request.GET.get("outcome", "")
    if outcome in InterfaceMessage.Outcome.values:
        rows = rows.filter(outcome=outcome)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "outcome": outcome, "outcomes": InterfaceMessage.Outcome.choices}
    return render(request, "radiology/hl7/messages.html", context)


@login_required
@permission_required("radiology.view_interfacemessage", raise_exception=True)
def interface_message(request, pk):
    message = get_object_or_404(InterfaceMessage.objects.select_related("order", "duplicate_of"), pk=pk)
    return render(request, "radiology/hl7/message.html", {"message": message})

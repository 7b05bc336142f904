"""Order pages: the work queue, an order, correcting and cancelling it. Thin: the services decide,
and the order page offers what the order table (radiology.services.order_actions) offers."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from radiology.errors import ServiceRefusal
from radiology.models import Order
from radiology.pages.orders.forms import OrderFactsForm
from radiology.presentation.refusals import forbidden, show_on_form
from radiology.services import order_invitations, orders
from radiology.services.order_actions import offered_order_actions
from scheduling.clinic_time import clinic_zone
from security.access_log import What, record_access


class CancelOrderForm(forms.Form):
    reason = forms.CharField(
        label="Why is the order cancelled?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the order is cancelled; it is kept on record."},
    )


@login_required
@permission_required("radiology.view_order_queue", raise_exception=True)
def order_queue(request):
    return render(request, "radiology/orders/queue.html", {"rows": orders.orders_to_schedule()})


@dataclass(frozen=True)
class OrderLink:
    name: str
    label: str
    url: str
    style: str
    kind: str


def _links(order, user, statuses) -> dict[str, OrderLink]:
    """What the order table offers this user on this order, with the URLs of its pages."""
    links = {}
    for action in offered_order_actions(order, permissions=user.get_all_permissions(), statuses=statuses):
        if action.query:
            url = f"{reverse(f'radiology:{action.url_name}')}?{action.query}={order.pk}"
        else:
            url = reverse(f"radiology:{action.url_name}", args=[order.pk])
        links[action.name] = OrderLink(action.name, action.label, url, action.style, action.kind)
    return links


@login_required
@permission_required("radiology.view_order", raise_exception=True)
def order_detail(request, pk, *, cancel_form=None, status=200):
    order = get_object_or_404(Order.objects.select_related("patient", "procedure", "created_by"), pk=pk)
    record_access(request=request, patient_ids=[order.patient_id], what=What.ORDER_PAGE)
    appointments = list(order.appointments.select_related("room", "radiologist__user").order_by("-start"))
    links = _links(order, request.user, {a.status for a in appointments})
    # A refused cancel is shown with its form, so its reason is read even when it is no longer offered.
    cancel = links.get("cancel") or (
        cancel_form and OrderLink("cancel", "", reverse("radiology:order_cancel", args=[order.pk]), "", "form")
    )
    context = {
        "order": order,
        "flags": orders.order_readiness(order, on=timezone.now().astimezone(clinic_zone()).date()),
        "appointments": appointments,
        "interface_messages": order.messages.order_by("-received_at")[:20],
        "buttons": [link for link in links.values() if link.kind == "link"],
        "post_buttons": [link for link in links.values() if link.kind == "post"],
        "invitations": order.invitations.select_related("sent_by").order_by("-sent_at")[:5],
        "cancel": cancel,
        "cancel_form": cancel_form or CancelOrderForm(),
    }
    return render(request, "radiology/orders/detail.html", context, status=status)


@login_required
@permission_required("radiology.change_order", raise_exception=True)
@require_POST
def order_cancel(request, pk):
    form = CancelOrderForm(request.POST)
    if not form.is_valid():
        return order_detail(request, pk, cancel_form=form, status=400)
    try:
        order = orders.cancel_order(order_id=pk, reason=form.cleaned_data["reason"], actor=request.user)
    except ServiceRefusal as error:
        if error.code == "forbidden":
            return forbidden(request, error)
        show_on_form(form, error)
        return order_detail(request, pk, cancel_form=form, status=400)
    messages.success(request, f"Order {order.accession_number} cancelled; a booked appointment was cancelled with it.")
    return redirect(order)


@login_required
@permission_required("radiology.change_order", raise_exception=True)
def order_edit(request, pk):
    order = get_object_or_404(Order.objects.select_related("patient"), pk=pk)
    form = OrderFactsForm(request.POST or None, order=order)
    if request.method == "POST" and form.is_valid():
        try:
            orders.update_order(order_id=pk, actor=request.user, **form.cleaned_data)
        except ServiceRefusal as error:
            if error.code == "forbidden":
                return forbidden(request, error)
            show_on_form(form, error)
        else:
            messages.success(request, f"Order {order.accession_number} updated.")
            return redirect(order)
    status = 400 if request.method == "POST" else 200
    return render(request, "radiology/orders/edit.html", {"order": order, "form": form}, status=status)


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
@require_POST
def order_invite(request, pk):
    """Invite to book: she gets a signed link to choose her own time for this order."""
    try:
        invitation = order_invitations.invite_to_book(order_id=pk, actor=request.user, now=timezone.now())
    except ServiceRefusal as error:
        if error.code == "forbidden":
            return forbidden(request, error)
        if error.code == "not_found":
            raise Http404(str(error)) from None
        messages.error(request, str(error))
    else:
        how = "a text message" if invitation.channel == "sms" else "an e-mail"
        messages.success(request, f"Invitation sent by {how}: she can choose her own time.")
    return redirect("radiology:order_detail", pk)

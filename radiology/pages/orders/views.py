"""Order pages: the work queue, an order, correcting and cancelling it. Thin: the services decide."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from radiology.errors import ServiceRefusal
from radiology.models import Order
from radiology.pages.orders.forms import OrderFactsForm
from radiology.services import orders
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


@login_required
@permission_required("radiology.view_order", raise_exception=True)
def order_detail(request, pk, *, cancel_form=None, status=200):
    order = get_object_or_404(Order.objects.select_related("patient", "procedure", "created_by"), pk=pk)
    record_access(request=request, patient_ids=[order.patient_id], what=What.ORDER_PAGE)
    context = {
        "order": order,
        "flags": orders.order_readiness(order, on=timezone.now().astimezone(clinic_zone()).date()),
        "appointments": order.appointments.select_related("room", "radiologist__user").order_by("-start"),
        "interface_messages": order.messages.order_by("-received_at")[:20],
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
            return render(request, "403.html", {"message": error.message}, status=403)
        form.add_error(None, error.message)
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
                return render(request, "403.html", {"message": error.message}, status=403)
            for name, text in error.fields.items():
                form.add_error(name if name in form.fields else None, text)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            messages.success(request, f"Order {order.accession_number} updated.")
            return redirect(order)
    status = 400 if request.method == "POST" else 200
    return render(request, "radiology/orders/edit.html", {"order": order, "form": form}, status=status)

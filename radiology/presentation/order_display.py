"""The order's side, indication and readiness flags as one small HTML fragment, shared by
the day list and the pages (through the `order_facts` template tag). The flags are decided
by radiology.services.orders.order_readiness; this only renders them.

Built with f-strings and radiology.presentation.html_parts.esc, as the day list's rows are: it renders
this for every row."""

from datetime import date

from django.utils.safestring import SafeString, mark_safe

from radiology.models import Order
from radiology.presentation.html_parts import esc as _e
from radiology.services.orders import order_readiness

WARNING_FLAGS = {"urgent", "side_missing", "pregnancy"}


def order_facts_html(order: Order, *, on: date) -> SafeString:
    side = (
        f'<span class="badge text-bg-dark order-side" title="Side to examine">{_e(order.side.upper())}</span>'
        if order.side
        else '<span class="badge text-bg-warning order-side">SIDE ?</span>'
    )
    flags = " ".join(
        f'<span class="badge {"text-bg-warning" if flag.code in WARNING_FLAGS else "text-bg-light border"} '
        f'order-flag" data-flag="{_e(flag.code)}">{_e(flag.text)}</span>'
        for flag in order_readiness(order, on=on)
    )
    indication = _e(order.indication_text or "no indication given")
    return mark_safe(f'<div class="order-facts small">{side} <span>{indication}</span> {flags}</div>')  # noqa: S308 - values escaped with _e

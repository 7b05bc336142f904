"""The order's side, indication and readiness flags as one small HTML fragment, shared by
the day list (built with format_html for speed, see radiology.workday.rows) and the pages
(through the `order_facts` template tag). The flags are decided by
radiology.services.orders.order_readiness; this only renders them."""

from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from radiology.models import Order
from radiology.services.orders import order_readiness

WARNING_FLAGS = {"urgent", "side_missing", "pregnancy"}


def order_facts_html(order: Order, *, on: date) -> SafeString:
    side = (
        format_html('<span class="badge text-bg-dark order-side" title="Side to examine">{}</span>', order.side.upper())
        if order.side
        else format_html('<span class="badge text-bg-warning order-side">{}</span>', "SIDE ?")
    )
    flags = format_html_join(
        " ",
        '<span class="badge {} order-flag" data-flag="{}">{}</span>',
        (
            ("text-bg-warning" if flag.code in WARNING_FLAGS else "text-bg-light border", flag.code, flag.text)
            for flag in order_readiness(order, on=on)
        ),
    )
    indication = order.indication_text or "no indication given"
    return format_html('<div class="order-facts small">{} <span>{}</span> {}</div>', side, indication, flags)

from django import template

from radiology.presentation.order_display import order_facts_html

register = template.Library()


@register.simple_tag
def order_facts(order, on):
    """{% order_facts appointment.order appointment.local_start.date %}"""
    return order_facts_html(order, on=on)

"""A state's colour class in templates, from the one rule (radiology.presentation.flow)."""

from django import template

from radiology.presentation.flow import status_badge_class as _status_badge_class

register = template.Library()


@register.filter
def status_badge_class(status: str) -> str:
    return _status_badge_class(status)

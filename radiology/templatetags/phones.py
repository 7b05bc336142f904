"""Phone numbers as people read and dial them: national format for the clinic's own
country, international otherwise, and a tel: link with the E.164 number."""

import phonenumbers
from django import template
from django.conf import settings
from django.utils.html import format_html

register = template.Library()


def _parsed(value):
    if not value:
        return None
    try:
        number = phonenumbers.parse(str(value), settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number


@register.filter
def phone_display(value) -> str:
    number = _parsed(value)
    if number is None:
        return str(value or "")
    home = phonenumbers.region_code_for_number(number) == settings.PHONENUMBER_DEFAULT_REGION
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


@register.filter
def phone_link(value):
    """<a href="tel:+12025550123">(202) 555-0123</a>, or the text as given if unparseable."""
    number = _parsed(value)
    if number is None:
        return str(value or "")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return format_html('<a href="tel:{}">{}</a>', e164, phone_display(value))

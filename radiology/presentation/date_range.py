"""The calendar that pages, forms and the API accept: the years 1900 to 2200.

Python's dates stop at 0001-01-01 and 9999-12-31. A day list or a period at either end needs
the day before or after it, or a UTC instant outside Python's range, and used to end in an
OverflowError (a 500). No appointment, birth date or report of this department falls outside
these years, so a date beyond them is refused with a message (a 400 or a form error).
"""

from datetime import date

from django.core.exceptions import ValidationError

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
OUT_OF_RANGE = f"Choose a date between {FIRST_DAY:%Y} and {LAST_DAY:%Y}."


def in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def validate_in_range(day: date | None) -> None:
    """A form field validator: the date is within the calendar the application handles."""
    if day is not None and not in_range(day):
        raise ValidationError(OUT_OF_RANGE, code="out_of_range")

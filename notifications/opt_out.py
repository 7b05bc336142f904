"""Numbers that replied STOP (or a carrier's opt-out word): no SMS of any kind goes to them
until they reply START. The outbox checks this when it sends (a text planned before the STOP
does not go), and planners ask it when they plan (so a patient's reminders go by e-mail
instead). It knows numbers, not people: a shared phone is opted out for everyone on it."""

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from notifications.models import SmsOptOut


def opt_out(*, number: str, now, source: str = "") -> bool:
    """Record the number's opt-out; True when it is new (a second STOP changes nothing)."""
    if not number:
        return False
    try:
        with transaction.atomic():
            SmsOptOut.objects.create(number=number, opted_out_at=now, source=source[:100])
    except IntegrityError:
        return False
    return True


def opt_in(*, number: str) -> bool:
    """START: texts may go to the number again. True when it had been opted out."""
    return bool(SmsOptOut.objects.filter(number=number).delete()[0])


# Where a row read with opted_out_expression() keeps the answer (remember_opt_out), for
# known_opt_out() to read.
_LOADED = "sms_opted_out"


def opted_out_expression(field: str = "phone") -> Exists:
    """Whether the row's number (`field`) is opted out, as an annotation: a page or a booking
    that loads her anyway learns it in the same query."""
    return Exists(SmsOptOut.objects.filter(number=OuterRef(field)))


def opted_out_sql(column: str) -> str:
    """opted_out_expression() written out, for a statement written out (booking._lock_her on
    PostgreSQL): `column` is the qualified, quoted column of the row's number."""
    return f"EXISTS (SELECT 1 FROM {SmsOptOut._meta.db_table} WHERE number = {column})"  # noqa: S608 - our own names


def remember_opt_out(row, stopped: bool) -> None:
    """Note on a row read with opted_out_expression() alongside whether its number is opted out."""
    row.__dict__[_LOADED] = stopped


def known_opt_out(row) -> bool | None:
    """Whether the row's number is opted out, when it was loaded with it; None when not."""
    return row.__dict__.get(_LOADED)


def is_opted_out(number: str) -> bool:
    return bool(number) and SmsOptOut.objects.filter(number=number).exists()


def opted_out_numbers(numbers) -> set[str]:
    """Which of these numbers are opted out (one query for a page of them)."""
    numbers = [n for n in set(numbers) if n]
    if not numbers:
        return set()
    return set(SmsOptOut.objects.filter(number__in=numbers).values_list("number", flat=True))

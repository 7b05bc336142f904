"""Reminder planning hooks, called by the booking and workflow services inside their
transaction. Issue #4 fills these in with the notifications outbox; until then they
plan nothing.

Contract (keyword-only, called inside transaction.atomic(), the appointment row locked):
- on_booked(appointment=..., now=...)
- on_rescheduled(appointment=..., previous_start=..., now=...)  # appointment.version already bumped
- on_cancelled(appointment=..., now=...)
- on_completed(appointment=..., now=...)
"""


def on_booked(*, appointment, now) -> None:
    return None


def on_rescheduled(*, appointment, previous_start, now) -> None:
    return None


def on_cancelled(*, appointment, now) -> None:
    return None


def on_completed(*, appointment, now) -> None:
    return None

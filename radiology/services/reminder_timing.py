"""When a reminder is due: elapsed and wall-clock offsets, lateness and SMS quiet hours.

Pure arithmetic on aware datetimes, correct across DST: elapsed offsets are computed in UTC
(48 h before is 48 h of real time), wall-clock ones in the clinic's zone ("day before at
17:00"). The no-expression reminder's window comes from the procedure catalog."""

from datetime import UTC, datetime, time, timedelta

from notifications.quiet_hours import out_of_quiet_hours
from procedures.models import ReminderRule
from scheduling.clinic_time import clinic_zone

A = ReminderRule.Anchor
NO_EXPRESSION_KIND = "no_expression"


def as_utc(moment: datetime) -> datetime:
    """Arithmetic on a datetime in a zone is wall-clock arithmetic; in UTC it is elapsed time."""
    return moment.astimezone(UTC)


def wall_clock_due(*, start: datetime, days_before: int, local_time) -> datetime:
    """`local_time` on the local date `days_before` days before the start's local date.
    A time that does not exist that day (the spring-forward gap) falls an hour later."""
    zone = clinic_zone()
    day = start.astimezone(zone).date() - timedelta(days=days_before)
    return datetime.combine(day, local_time, tzinfo=zone).astimezone(UTC)


def _elapsed_offset_minutes(rule: ReminderRule, procedure) -> int:
    """The no-expression reminder opens the catalog's window (48 h before by default); other
    elapsed rules carry their own offset."""
    if rule.kind == NO_EXPRESSION_KIND:
        return procedure.no_expression_window_max_hours * 60
    return rule.offset_minutes


def rule_due_at(rule: ReminderRule, *, appointment, now: datetime) -> datetime:
    if rule.anchor == A.AT_BOOKING:
        return as_utc(now) + timedelta(minutes=rule.offset_minutes)
    if rule.anchor == A.ELAPSED_BEFORE_START:
        offset = _elapsed_offset_minutes(rule, appointment.procedure)
        return as_utc(appointment.start) - timedelta(minutes=offset)  # real hours, across DST
    if rule.anchor == A.WALL_CLOCK:
        return wall_clock_due(start=appointment.start, days_before=rule.days_before, local_time=rule.local_time)
    return as_utc(appointment.completed_at or now) + timedelta(minutes=rule.offset_minutes)


def start_of_local_day(moment: datetime) -> datetime:
    """Midnight at the clinic at the start of `moment`'s local day (in UTC)."""
    zone = clinic_zone()
    return datetime.combine(moment.astimezone(zone).date(), time(0), tzinfo=zone).astimezone(UTC)


def _says_an_earlier_day(rule: ReminderRule) -> bool:
    # "Day before at 17:00" is worded for the day before ("see you tomorrow"): once the
    # appointment's own day has begun, it would send her a day late.
    return rule.anchor == A.WALL_CLOCK and (rule.days_before or 0) >= 1


def rule_hard_limit(rule: ReminderRule, *, appointment) -> datetime | None:
    """The moment after which the message must not go, even deferred by quiet hours."""
    if rule.anchor == A.AFTER_COMPLETION:
        return None
    if _says_an_earlier_day(rule):
        return min(as_utc(appointment.start), start_of_local_day(appointment.start))
    return as_utc(appointment.start)


def rule_useful_until(rule: ReminderRule, *, appointment) -> datetime | None:
    if rule.anchor == A.AFTER_COMPLETION:
        return None
    if _says_an_earlier_day(rule):
        late = as_utc(appointment.start) - timedelta(minutes=rule.send_late_until_minutes_before or 0)
        return min(late, start_of_local_day(appointment.start))
    if rule.kind == NO_EXPRESSION_KIND:
        # Late is still useful while the window's short end (24 h) has not begun.
        hours = appointment.procedure.no_expression_window_min_hours
        return as_utc(appointment.start) - timedelta(hours=hours)
    if rule.send_late_until_minutes_before is not None:
        return as_utc(appointment.start) - timedelta(minutes=rule.send_late_until_minutes_before)
    return as_utc(appointment.start)


def plan_timing(*, due: datetime, useful_until: datetime | None, quiet: bool, hard_limit, now) -> tuple:
    """(due_at, expires_at, skip reason or "") for a message planned now.

    Past its moment: sent now if still useful, else skipped with the reason. SMS quiet
    hours defer (never drop): a deferred message stays useful until the appointment."""
    now = as_utc(now)
    if due < now:
        if useful_until is not None and now >= useful_until:
            local = useful_until.astimezone(clinic_zone())
            return due, useful_until, f"Planned too late: useful only until {local:%a %d %b %H:%M}."
        due = now
    if quiet:
        deferred = out_of_quiet_hours(due)
        if deferred != due and hard_limit is not None and deferred >= hard_limit:
            return due, useful_until, "SMS quiet hours last until it is too late for this message."
        if deferred != due and useful_until is not None and deferred >= useful_until:
            useful_until = min(hard_limit, deferred + timedelta(hours=1)) if hard_limit else None
        due = deferred
    return due, useful_until, ""

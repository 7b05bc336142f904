"""One VCALENDAR of appointments, one VEVENT each.

- UID `appointment-<id>@<site host>`: the same event however often it moves.
- SEQUENCE and STATUS are the told table's (radiology/services/told_table.py), the same rule
  as the patient's .ics: SEQUENCE counts the logged changes that calendars show (the booking
  is 1; each move, re-staffing and ending that did not take place adds one; log rows are never
  removed, so it strictly increases on each such change, as RFC 5545 asks of a revised event).
  STATUS is CANCELLED for every state in which the appointment did not take place (cancelled,
  did not proceed, no-show), CONFIRMED otherwise; such an event stays in the feed so that
  calendars strike it rather than guess.
- DTSTAMP and LAST-MODIFIED: when the appointment last changed (RFC 5545: without METHOD,
  DTSTAMP is the last revision), so an unchanged feed is byte for byte the same (its ETag too).
- Times in UTC with no VTIMEZONE: every client reads the instant the same way.
- SUMMARY "Galactogram" and the MRN's last four characters; names only with
  CALENDAR_SHOW_NAMES. No clinical detail, ever.

The ETag is a digest of everything the feed prints (and of FORMAT, bumped when the printing
changes), computed from the query's rows without building the calendar: a calendar app
revalidating an unchanged feed gets its 304 for two queries. Built feeds are kept in Django's
cache under that digest, so the many polls of an unchanged feed are not rebuilt each time;
any change to what is printed is a new digest, hence never a stale body.
"""

import hashlib
from datetime import UTC, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from icalendar import Calendar, Event
from icalendar.prop import vDDDTypes, vDuration, vInt, vText, vUri

from radiology.interfaces.ics.selectors import FeedEvent
from radiology.services.told_table import calendar_status

REFRESH = timedelta(minutes=15)
# Bumped when the printing changes: 2, SEQUENCE and STATUS from the told table.
FORMAT = 2
CACHE_SECONDS = 3600
_PLACEHOLDER = 987654321


def _site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _page_url():
    """appointment id -> its staff page's absolute URL, with one `reverse` for the whole feed."""
    prefix, suffix = reverse("radiology:appointment_detail", args=[_PLACEHOLDER]).split(str(_PLACEHOLDER))
    site = settings.SITE_URL.rstrip("/")
    return lambda pk: f"{site}{prefix}{pk}{suffix}"


def summary(event: FeedEvent) -> str:
    text = f"Galactogram {event.mrn[-4:]}"
    if settings.CALENDAR_SHOW_NAMES:
        text += f" {event.given_name} {event.family_name}"
    return text


def build_calendar(*, name: str, appointments: list[FeedEvent]) -> bytes:
    """One VEVENT per appointment (radiology.interfaces.ics.selectors.feed_events). Values are
    given to icalendar already typed (vText, vDDDTypes...): the same output as `add`, without
    inferring each value's type 5,000 times for a 500-event feed."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.CLINIC_NAME}//Galactogram scheduling//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", f"Galactograms: {name}")
    calendar.add("x-wr-calname", f"Galactograms: {name}")
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    host = _site_host()
    page_url = _page_url()
    for appointment in appointments:
        changed = vDDDTypes(appointment.updated_at.astimezone(UTC))
        event = Event()
        event["UID"] = vText(f"appointment-{appointment.pk}@{host}")
        event["DTSTAMP"] = changed
        event["LAST-MODIFIED"] = changed
        event["SEQUENCE"] = vInt(appointment.sequence)
        event["DTSTART"] = vDDDTypes(appointment.start.astimezone(UTC))
        event["DTEND"] = vDDDTypes(appointment.end.astimezone(UTC))
        event["STATUS"] = vText(calendar_status(appointment.status))
        event["SUMMARY"] = vText(summary(appointment))
        event["LOCATION"] = vText(appointment.room)
        event["URL"] = vUri(page_url(appointment.pk))
        calendar.add_component(event)
    return calendar.to_ical()


def etag(*, name: str, appointments: list[FeedEvent]) -> str:
    """A strong validator: equal for byte-identical feeds, because it covers every input."""
    digest = hashlib.sha256()
    digest.update(repr((FORMAT, settings.SITE_URL, settings.CLINIC_NAME, settings.CALENDAR_SHOW_NAMES, name)).encode())
    names = settings.CALENDAR_SHOW_NAMES
    for a in appointments:
        row = (a.pk, a.start, a.end, a.status, a.updated_at, a.sequence, a.room, a.mrn)
        digest.update(repr(row + ((a.given_name, a.family_name) if names else ())).encode())
    return '"' + digest.hexdigest()[:40] + '"'


def calendar_bytes(*, name: str, appointments: list[FeedEvent], tag: str) -> bytes:
    key = f"ics:feed:{tag.strip(chr(34))}"
    body = cache.get(key)
    if body is None:
        body = build_calendar(name=name, appointments=appointments)
        cache.set(key, body, CACHE_SECONDS)
    return body

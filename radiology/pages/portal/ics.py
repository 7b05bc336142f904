"""Add to my calendar: one appointment as an iCalendar (RFC 5545) file for the patient.

A thin translation at the edge: times in UTC, a UID that stays the same when the
appointment moves, SEQUENCE and STATUS as the told table says for every calendar
(radiology/services/told_table.py: SEQUENCE rises on every change calendars show, cancelling
included, so a calendar that imports the file again updates the event instead of adding a
second one or keeping the old one), the place and the clinic's phone number, and no staff
names. Text is in the active language (the caller activates the patient's).
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils.translation import gettext

from radiology.models import Appointment
from radiology.services.told_table import CANCELLED, patient_calendar_status, sequence_of


def event_uid(appointment: Appointment) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"appointment-{appointment.pk}@{domain}"


def where(appointment: Appointment) -> str:
    """The room's location, then what the clinic's address adds to it: a part of the address
    the location already says ("Level 2") is not said twice."""
    place = appointment.room.location or appointment.room.name
    known = {part.strip().casefold() for part in place.split(",")}
    extra = [part.strip() for part in settings.CLINIC_ADDRESS.split(",") if part.strip().casefold() not in known]
    return ", ".join([place, *extra]) if extra else place


def appointment_calendar(appointment: Appointment, *, link: str, now: datetime) -> bytes:
    place = where(appointment)
    status = patient_calendar_status(appointment)
    cancelled = status == CANCELLED
    summary = gettext("Appointment: %(clinic)s") % {"clinic": settings.CLINIC_NAME}
    description = "\n".join(
        [
            gettext("Questions, or cannot come? Call us: %(phone)s") % {"phone": settings.CLINIC_PHONE},
            gettext("Your appointment page: %(link)s") % {"link": link},
        ]
    )
    event = icalendar.Event.new(
        uid=event_uid(appointment),
        sequence=sequence_of(appointment),
        stamp=now.astimezone(UTC),
        start=appointment.start.astimezone(UTC),
        end=appointment.end.astimezone(UTC),
        summary=summary,
        location=place,
        description=description,
        status=icalendar.STATUS(status),
        transparency=icalendar.TRANSP.OPAQUE,
        url=link,
    )
    hours = appointment.procedure.no_expression_window_max_hours
    if hours and not cancelled:
        # The one preparation that depends on the clock: the phone reminds her when it begins.
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -timedelta(hours=hours))
        alarm.add(
            "description",
            gettext("From now until your appointment, please do not squeeze your nipple or try to express any fluid."),
        )
        event.add_component(alarm)
    calendar = icalendar.Calendar.new(
        prodid=f"-//{settings.CLINIC_NAME}//Galactogram scheduling//EN",
        method="PUBLISH",
        uid=f"calendar-{event_uid(appointment)}",
        subcomponents=[event],
    )
    return calendar.to_ical()

"""iCalendar feeds (RFC 5545) of a clinical staff member's or a room's appointments: a thin
translation, built with the `icalendar` library. Addresses: radiology.services.calendar_feeds."""

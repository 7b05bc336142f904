"""Templates per kind and language: short SMS, clinic-local times, English as the fallback."""

import pytest

from notifications import rendering
from tests.factories import MessageFactory

PATIENT_KINDS = ["prep", "no_expression", "day_before", "follow_up", "moved", "cancelled"]
LINK = "https://imaging.example.org/p/123456/1vXyZa:" + "x" * 43 + "/"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", PATIENT_KINDS)
def test_every_patient_sms_fits_in_two_segments_with_a_long_link(kind, language):
    message = MessageFactory.build(kind=kind, language=language)

    text = rendering.render(message, {"link": LINK}).text

    assert len(text) <= 306, text
    assert "{{" not in text


@pytest.mark.django_db
def test_times_are_shown_in_the_clinics_zone():
    message = MessageFactory.build(kind="day_before", context={**MessageFactory.build().context})

    text = rendering.render(message, {"link": LINK}).text

    assert "Tue 10 Mar, 11:00" in text  # 15:00 UTC is 11:00 EDT


@pytest.mark.django_db
def test_a_language_without_a_template_falls_back_to_english():
    message = MessageFactory.build(kind="prep", language="fr")

    assert rendering.render(message, {"link": LINK}).text.startswith("Breast Imaging: Hi Ana")


@pytest.mark.django_db
def test_a_staff_notice_without_a_previous_time_renders():
    message = MessageFactory.build(
        kind="staff_change",
        channel="email",
        audience="staff",
        context={
            "appointment_id": 7,
            "change": "cancelled",
            "start_at": "2026-03-10T15:00:00+00:00",
            "previous_start_at": "",
            "room": "Mammo 1",
            "tz": "America/New_York",
            "clinic_name": "Breast Imaging",
            "link": "http://x/appointments/7/",
        },
    )

    outgoing = rendering.render(message)

    assert outgoing.subject == "Galactogram #7 cancelled: Tue 10 Mar 11:00, Mammo 1"
    assert "was" not in outgoing.text


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["day_before", "moved", "cancelled", "prep"])
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_spanish_dates_say_the_month_as_spanish_writes_it(kind, channel):
    # Issue #22: "mar 10 Mar" capitalised the month; Spanish writes "mar 10 de marzo".
    message = MessageFactory.build(kind=kind, language="es", channel=channel)

    sent = rendering.render(message, {"link": LINK})

    text = f"{sent.subject} {sent.text}"
    assert "10 de marzo" in text and "Mar," not in text and "Mar." not in text

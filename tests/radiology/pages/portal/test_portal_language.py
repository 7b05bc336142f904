"""The patient's pages are in her language, with the clinic's number on every one of them."""

import gettext
from pathlib import Path

import polib
import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from procedures.models import Procedure
from radiology.pages.portal.catalog_text import CATALOG_LINES
from radiology.services.patient_links import make_token, patient_path
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def test_a_spanish_speaking_patient_reads_her_page_in_spanish(client):
    appointment = AppointmentFactory(patient__language="es", patient__given_name="Lucía")

    response = client.get(patient_path(appointment.pk))

    text = response.text
    assert '<html lang="es">' in text
    assert response["Content-Language"] == "es"
    assert "Hola, Lucía" in text
    assert "Cómo prepararse" in text
    assert "Puede comer y beber con normalidad" in text  # the catalog's preparation, translated
    assert f"de {_spanish_month(appointment.local_start.month)} de" in text
    assert "How to prepare" not in text


def test_an_english_speaking_patient_reads_english_whatever_her_browser_says(client):
    appointment = AppointmentFactory(patient__language="en")

    text = client.get(patient_path(appointment.pk), headers={"accept-language": "es"}).text

    assert '<html lang="en">' in text
    assert "How to prepare" in text


def test_messages_after_an_action_are_in_her_language(client):
    appointment = AppointmentFactory(patient__language="es")

    response = client.post(patient_path(appointment.pk) + "confirm/", follow=True)

    assert "Gracias: hemos anotado que vendrá." in response.text
    assert response.text.count("Gracias") == 1  # thanked once, not by the page's status line too (issue #22)


def test_the_invalid_link_page_follows_the_browsers_language_and_gives_the_number(client, settings):
    settings.CLINIC_PHONE = "+1 (555) 010-0199"

    spanish = client.get("/p/1/nonsense/", headers={"accept-language": "es-MX,es;q=0.9"}).text
    english = client.get("/p/1/nonsense/").text

    assert "Este enlace no se puede usar" in spanish
    assert "This link cannot be used" in english
    for text in (spanish, english):
        assert '<a class="portal-phone" href="tel:+15550100199">+1 (555) 010-0199</a>' in text


def test_every_patient_page_shows_the_clinics_phone_number(client, settings):
    settings.CLINIC_PHONE = "+1 555 0177"
    settings.PATIENT_PAGE_RATE_LIMIT = "3/m"
    appointment = AppointmentFactory()
    path = patient_path(appointment.pk)
    with time_machine.travel(timezone.now(), tick=False):  # one rate-limit window
        pages = [
            client.get(path),
            client.get(path + "new-time/"),
            client.get(f"/p/{appointment.pk}/{make_token(appointment.pk)}x/"),
            client.get(path),
        ]

    assert [p.status_code for p in pages] == [200, 200, 404, 429]
    for page in pages:
        assert 'href="tel:+15550177"' in page.text


def test_patient_pages_are_kept_out_of_caches(client):
    response = client.get(patient_path(AppointmentFactory().pk))

    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_pages_send_a_same_origin_referrer_policy_and_no_meta_tag_overrides_it(client):
    response = client.get(patient_path(AppointmentFactory().pk))

    assert response["Referrer-Policy"] == "same-origin"
    assert 'name="referrer"' not in response.text


def test_the_compiled_translations_match_their_sources():
    for po_path in LOCALE.glob("*/LC_MESSAGES/django.po"):
        mo_path = po_path.with_suffix(".mo")
        assert mo_path.exists(), f"{mo_path} is missing: run `make messages`"
        compiled = gettext.GNUTranslations(mo_path.open("rb"))
        for entry in polib.pofile(str(po_path)).translated_entries():
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            assert compiled._catalog.get(key) == entry.msgstr, f"{mo_path} is stale: run `make messages`"


def test_every_line_of_the_catalogs_patient_text_is_listed_and_translated():
    procedure = Procedure.objects.get(slug="galactogram")
    lines = [*procedure.preparation_steps, procedure.summary, procedure.patient_experience]

    assert set(lines) <= set(CATALOG_LINES)
    with translation.override("es"):
        untranslated = [line for line in CATALOG_LINES if translation.gettext(line) == line]
    assert untranslated == []


def _spanish_month(month: int) -> str:
    with translation.override("es"):
        from django.utils.dates import MONTHS

        return str(MONTHS[month])

"""Finding a patient from the top bar: by name without regard to case or accents, by MRN,
date of birth or phone number in any usual format; and her page with everything on it."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from radiology.selectors.search import search_patients
from tests.factories import (
    AppointmentFactory,
    MessageFactory,
    PatientFactory,
    ReadinessResponseFactory,
    StaffMemberFactory,
    TodoNoteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return PatientFactory(
        given_name="Ana",
        family_name="Hernández",
        mrn="HX-1001",
        birth_date=date(1970, 3, 21),
        phone="+12025550177",
        language="es",
    )


@pytest.mark.parametrize(
    "query",
    ["hernandez", "HERNÁNDEZ", "ana hern", "Hernandez, Ana", "hx-1001", "1970-03-21", "21/03/1970", "03/21/1970"],
)
def test_a_patient_is_found_by_name_mrn_or_birth_date_without_regard_to_case_or_accents(ana, query):
    PatientFactory(given_name="Bea", family_name="Hernan", birth_date=date(1980, 1, 1), mrn="ZZ-9")
    assert list(search_patients(query)) == [ana]


@pytest.mark.parametrize("query", ["(202) 555-0177", "202 555 0177", "+1 202-555-0177", "5550177"])
def test_a_patient_is_found_by_her_phone_number_in_any_format(ana, query):
    PatientFactory(phone="+12025550100")
    assert list(search_patients(query)) == [ana]


def test_accents_in_the_query_fold_too():
    jose = PatientFactory(given_name="Jose", family_name="Nunez")
    assert list(search_patients("núñez josé")) == [jose]


def test_the_top_bar_search_lists_several_matches_and_opens_a_single_one(client, logged_in_scheduler, ana):
    other = PatientFactory(given_name="Ana", family_name="Hernandes")
    listed = client.get(reverse("radiology:patient_search"), {"q": "ana hern"}).content.decode()
    assert "Hernández" in listed and "Hernandes" in listed and other.mrn in listed
    single = client.get(reverse("radiology:patient_search"), {"q": "HX-1001"})
    assert single.status_code == 302 and single.url == reverse("radiology:patient_detail", args=[ana.pk])


def test_every_staff_page_carries_the_search_box(client, logged_in_scheduler):
    page = client.get(reverse("radiology:appointment_list")).content.decode()
    assert 'id="top-search"' in page and 'for="top-search"' in page


def test_the_patient_page_shows_contact_language_allergy_and_every_appointment(client, logged_in_scheduler, ana):
    ana.contrast_allergy, ana.contrast_allergy_note = True, "Hives in 2019"
    ana.save()
    past = AppointmentFactory(patient=ana, start=timezone.now() - timedelta(days=40), status="completed")
    upcoming = AppointmentFactory(patient=ana, status="reminded")
    MessageFactory(subject=past.holder, kind="prep", status="sent", sent_at=timezone.now())
    ReadinessResponseFactory(appointment=upcoming, discharge_present=True, contrast_allergy=None)
    TodoNoteFactory(appointment=upcoming, note="Left a message", by=logged_in_scheduler)
    page = client.get(reverse("radiology:patient_detail", args=[ana.pk])).content.decode()
    assert 'href="tel:+12025550177"' in page and "(202) 555-0177" in page
    assert "Spanish" in page and "Hives in 2019" in page
    assert f'data-appointment="{past.pk}"' in page and f'data-appointment="{upcoming.pk}"' in page
    assert "Done" in page and "Scheduled" in page
    assert "Preparation instructions · SMS · sent" in page
    assert "contrast allergy not sure" in page
    assert "Called by" in page and "Left a message" in page


def test_the_patient_page_runs_the_same_queries_for_one_or_ten_appointments(client, logged_in_scheduler, ana):
    url = reverse("radiology:patient_detail", args=[ana.pk])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response.content.decode()

    first = AppointmentFactory(patient=ana)
    MessageFactory(subject=first.holder)
    few, page = queries()
    for _ in range(9):
        a = AppointmentFactory(patient=ana)
        MessageFactory(subject=a.holder)
        ReadinessResponseFactory(appointment=a)
    many, page = queries()
    assert few == many <= 14  # with the read-audit row, her number's opt-out and her waiting-list entries
    assert page.count('<section class="card') == 10


def test_the_appointment_list_filters_by_patient_across_all_dates(client, logged_in_scheduler, ana):
    long_ago = AppointmentFactory(patient=ana, start=timezone.now() - timedelta(days=200), status="completed")
    someone_else = AppointmentFactory()
    page = client.get(reverse("radiology:appointment_list"), {"patient": ana.pk}).content.decode()
    assert long_ago.get_absolute_url() in page and someone_else.get_absolute_url() not in page
    assert 'data-testid="patient-filter"' in page


def test_the_patient_pages_need_the_view_patient_permission(client, ana):
    client.force_login(StaffMemberFactory(role="technologist").user)
    assert client.get(reverse("radiology:patient_detail", args=[ana.pk])).status_code == 200
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("radiology:patient_detail", args=[ana.pk])).status_code == 403
    assert client.get(reverse("radiology:patient_search"), {"q": "ana"}).status_code == 403
    client.logout()
    assert client.get(reverse("radiology:patient_search")).status_code == 302


def test_the_search_results_page_runs_the_same_queries_for_two_or_twenty_matches(client, logged_in_scheduler):
    url = reverse("radiology:patient_search")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"q": "lee"})
        assert response.status_code == 200
        return len(captured), response.content.decode()

    PatientFactory.create_batch(2, family_name="Lee")
    few, _ = queries()
    PatientFactory.create_batch(18, family_name="Leeds")
    many, page = queries()
    assert few == many <= 8  # with the read-audit rows
    assert page.count('href="/patients/') == 20

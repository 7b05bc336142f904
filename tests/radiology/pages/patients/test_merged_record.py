"""A record the hospital merged into another (ADT^A40), opened by its old link or id: the
page says where she is now; her contact is corrected on the survivor; the survivor's page
names her old MRNs. The page's queries stay fixed."""

import pytest
from django.urls import reverse
from django.utils import timezone

from radiology.services.patient_merge import merge_patients
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merged_pair():
    old = PatientFactory(mrn="X1000001", family_name="Okafor", given_name="Ada")
    survivor = PatientFactory(mrn="Y1000001", family_name="Okafor", given_name="Ada")
    merge_patients(from_mrn="X1000001", into_mrn="Y1000001", actor=None, now=timezone.now())
    return old, survivor


def test_a_merged_record_says_merged_into_the_survivor_with_a_link(client, logged_in_scheduler, merged_pair):
    old, survivor = merged_pair

    page = client.get(reverse("radiology:patient_detail", args=[old.pk])).content.decode()

    banner = page.split('data-testid="merged"', 1)[1].split("</div>", 1)[0]
    assert "Merged into Okafor, Ada (MRN Y1000001)" in banner
    assert reverse("radiology:patient_detail", args=[survivor.pk]) in banner
    assert reverse("radiology:patient_contact", args=[old.pk]) not in page


def test_the_contact_page_of_a_merged_record_leads_to_the_survivors(client, logged_in_scheduler, merged_pair):
    old, survivor = merged_pair

    response = client.get(reverse("radiology:patient_contact", args=[old.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("radiology:patient_contact", args=[survivor.pk])


def test_the_survivors_page_names_her_old_mrns_in_a_fixed_number_of_queries(
    client, logged_in_scheduler, merged_pair, django_assert_max_num_queries
):
    _, survivor = merged_pair
    AppointmentFactory.create_batch(3, patient=survivor)
    client.get(reverse("radiology:patient_detail", args=[survivor.pk]))  # warm the per-process caches

    with django_assert_max_num_queries(20) as few:
        page = client.get(reverse("radiology:patient_detail", args=[survivor.pk])).content.decode()
    AppointmentFactory.create_batch(3, patient=survivor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("radiology:patient_detail", args=[survivor.pk]))

    assert "Also known as MRN X1000001" in page

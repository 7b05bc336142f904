"""Orders on the pages: the work queue and its Book link through to a linked booking, the
order page and its cancel, the side and readiness on the day list, the appointment page and
at check-in, and the interface messages page; each with the right and wrong roles."""

import re
from datetime import datetime, time, timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from radiology.models import Appointment, CheckInChecklist, Order
from scheduling.clinic_time import clinic_zone
from tests.actions import CHECKLIST_FORM
from tests.factories import (
    AppointmentFactory,
    InterfaceMessageFactory,
    OrderFactory,
    PatientFactory,
    StaffMemberFactory,
    small_department,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=clinic_zone())  # a Monday
THURSDAY = NOW.date() + timedelta(days=3)


def at(day, hour, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clinic_zone())


@pytest.fixture
def tech_client(client):
    client.force_login(StaffMemberFactory(role="technologist").user)
    return client


def test_the_work_queue_lists_waiting_orders_with_a_book_link(scheduler_client):
    order = OrderFactory(priority="urgent", patient__family_name="Queued", prior_imaging_kind="none")
    OrderFactory(status="scheduled", patient__family_name="Booked")

    page = scheduler_client.get(reverse("radiology:order_queue")).text

    assert "Queued" in page and "Booked" not in page and "Urgent" in page
    assert "No prior mammogram or ultrasound" in page
    assert f"/schedule/?order={order.pk}" in page


def test_the_work_queue_runs_the_same_number_of_queries_for_2_and_40_orders(scheduler_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert scheduler_client.get(reverse("radiology:order_queue")).status_code == 200
        return len(captured)

    OrderFactory.create_batch(2)
    few = queries()
    OrderFactory.create_batch(38)
    assert queries() == few


def test_the_work_queue_needs_the_scheduler_role(tech_client, client):
    assert tech_client.get(reverse("radiology:order_queue")).status_code == 403
    client.logout()
    assert client.get(reverse("radiology:order_queue")).status_code == 302  # to the login page


def test_booking_from_the_queue_links_the_order(scheduler_client):
    dept = small_department()
    order = OrderFactory(side="right")

    search = scheduler_client.get(
        "/schedule/",
        {"order": order.pk, "procedure": "galactogram", "duration": 45, "start": THURSDAY, "end": THURSDAY},
    )
    assert order.accession_number in search.text
    link = unescape(search.context["results"][0]["query"])
    assert f"order={order.pk}" in link and f"patient={order.patient.pk}" in link

    book_page = scheduler_client.get(f"/schedule/book/?{link}")
    assert 'data-testid="booking-for-order"' in book_page.text
    response = scheduler_client.post(
        "/schedule/book/",
        {
            "procedure": "galactogram",
            "start": at(THURSDAY, 8).isoformat(),
            "duration": 45,
            "room": dept.rooms[0].pk,
            "radiologist": dept.radiologists[0].pk,
            "technologist": dept.technologists[0].pk,
            "patient": order.patient.pk,
            "order": order.pk,
        },
    )

    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.order == order
    order.refresh_from_db()
    assert order.status == "scheduled"


def test_booking_without_an_order_makes_one_with_the_side_and_indication_entered(scheduler_client):
    dept = small_department()
    patient = PatientFactory()

    response = scheduler_client.post(
        "/schedule/book/",
        {
            "procedure": "galactogram",
            "start": at(THURSDAY, 8).isoformat(),
            "duration": 45,
            "room": dept.rooms[0].pk,
            "radiologist": dept.radiologists[0].pk,
            "technologist": dept.technologists[0].pk,
            "patient": patient.pk,
            "side": "left",
            "indication": "other",
            "indication_other": "",
        },
    )

    assert response.status_code == 400
    assert "Describe the indication" in response.text
    assert not Order.objects.exists()


def test_the_order_page_cancels_the_order_and_its_appointment(scheduler_client):
    appointment = AppointmentFactory(start=at(THURSDAY, 10))

    response = scheduler_client.post(
        reverse("radiology:order_cancel", args=[appointment.order_id]), {"reason": "Referral withdrawn"}
    )

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.order.status == "cancelled"


def test_cancelling_an_order_without_a_reason_is_refused_next_to_the_field(scheduler_client):
    order = OrderFactory()

    response = scheduler_client.post(reverse("radiology:order_cancel", args=[order.pk]), {"reason": ""})

    assert response.status_code == 400 and "Say why the order is cancelled" in response.text
    order.refresh_from_db()
    assert order.status == "waiting"


def test_the_appointment_page_shows_the_side_indication_and_readiness(tech_client):
    appointment = AppointmentFactory(order__side="right", order__indication="bloody", order__lactating=True)

    page = tech_client.get(appointment.get_absolute_url()).text

    assert "RIGHT" in page and "Bloody discharge" in page and "Lactating" in page
    assert appointment.order.accession_number in page and appointment.order.study_instance_uid in page


def test_the_day_list_shows_the_side_and_flags_in_each_row(tech_client):
    AppointmentFactory(start=at(NOW.date(), 10), order__side="left", order__priority="urgent")

    page = tech_client.get(reverse("radiology:day_list_for", args=[NOW.date().isoformat()])).text

    assert 'class="badge text-bg-dark order-side" title="Side to examine">LEFT<' in page
    assert 'data-flag="urgent"' in page


def test_check_in_shows_the_side_and_needs_it_confirmed(tech_client):
    appointment = AppointmentFactory(start=at(NOW.date(), 10), order__side="left", order__indication="bloody")
    url = reverse("radiology:check_in", args=[appointment.pk])
    answers = {k: v for k, v in CHECKLIST_FORM.items() if k != "side_confirmed"}

    page = tech_client.get(url).text
    refused = tech_client.post(url, answers)
    done = tech_client.post(url, {**answers, "side_confirmed": "on"})

    assert "Examine the <strong>LEFT</strong> breast" in page and "Bloody discharge" in page
    assert refused.status_code == 200 and "which breast" in refused.text
    assert done.status_code == 302 and CheckInChecklist.objects.get().side_confirmed is True


def test_the_interface_messages_page_lists_messages_for_schedulers_only(scheduler_client, client):
    stored = InterfaceMessageFactory(outcome="error", detail="Procedure code “99999” is not one we perform")

    page = scheduler_client.get(reverse("radiology:interface_messages")).text
    one = scheduler_client.get(reverse("radiology:interface_message", args=[stored.pk])).text

    assert stored.control_id in page and "is not one we perform" in page
    assert "MSA|AA|" in one
    client.force_login(StaffMemberFactory(role="technologist").user)
    assert client.get(reverse("radiology:interface_messages")).status_code == 403


def test_a_scheduler_corrects_an_orders_side_and_the_history_keeps_the_change(scheduler_client):
    order = OrderFactory(side="", prior_imaging_kind="none")
    url = reverse("radiology:order_edit", args=[order.pk])
    form = scheduler_client.get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}

    response = scheduler_client.post(url, {**data, "side": "right", "lactating": "unknown"})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.side == "right" and order.history.count() == 2


def test_a_correction_that_breaks_a_rule_is_refused_next_to_the_field(scheduler_client):
    order = OrderFactory(prior_imaging_kind="none")
    url = reverse("radiology:order_edit", args=[order.pk])
    data = {name: ("" if v is None else v) for name, v in scheduler_client.get(url).context["form"].initial.items()}

    response = scheduler_client.post(
        url, {**data, "indication": "other", "indication_other": "", "lactating": "unknown"}
    )

    assert response.status_code == 400
    assert "Describe the indication" in str(response.context["form"].errors["indication_other"])
    order.refresh_from_db()
    assert order.indication == "spontaneous_single_duct"


def test_a_technologist_cannot_correct_an_order(tech_client):
    assert tech_client.get(reverse("radiology:order_edit", args=[OrderFactory().pk])).status_code == 403


def _offered_on_the_page(page: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', page))


def test_the_order_page_offers_booking_inviting_correcting_and_cancelling_a_waiting_order(scheduler_client):
    order = OrderFactory()

    page = scheduler_client.get(order.get_absolute_url()).text

    assert _offered_on_the_page(page) == {"book_now", "invite", "correct_facts", "cancel"}
    assert f'href="{reverse("radiology:order_edit", args=[order.pk])}"' in page


def test_the_order_page_offers_neither_correcting_nor_cancelling_while_the_exam_is_under_way(scheduler_client):
    appointment = AppointmentFactory(status="in_procedure")

    page = scheduler_client.get(appointment.order.get_absolute_url()).text

    assert _offered_on_the_page(page) == set()
    assert "Correct the facts" not in page and "Cancel the order" not in page


def test_the_order_page_offers_a_technologist_nothing_to_change(tech_client):
    assert _offered_on_the_page(tech_client.get(OrderFactory().get_absolute_url()).text) == set()


@pytest.mark.parametrize(("ducts", "minutes"), [("single", 30), ("multiple", 45), ("unknown", 45)])
def test_finding_a_slot_for_an_order_starts_from_the_time_its_ducts_need(client, ducts, minutes):
    # Issue #22: a single-duct order was searched for 45 minutes.
    order = OrderFactory(discharge_ducts=ducts)
    client.force_login(StaffMemberFactory(role="scheduler").user)
    form = client.get(reverse("radiology:schedule_search"), {"order": order.pk}).context["form"]
    assert form.initial["duration"] == minutes

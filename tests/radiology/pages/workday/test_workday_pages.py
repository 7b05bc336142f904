"""The day list and the procedure actions, from the pages, with the right and wrong roles."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Message
from radiology.models import Appointment, CheckInChecklist, FollowUpPlan, ProcedureOutcome
from scheduling.models import Reservation
from tests.actions import CHECKLIST_FORM
from tests.factories import (
    AppointmentFactory,
    ReadinessResponseFactory,
    ReservationFactory,
    RoomFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DAY = datetime(2027, 1, 13, tzinfo=NY)  # a Wednesday
CHECKLIST = CHECKLIST_FORM


def at(hour, minute=0):
    return DAY.replace(hour=hour, minute=minute)


@pytest.fixture(autouse=True)
def morning_of_the_day():
    # Logged in on the morning of the day; actions travel forward from here.
    with time_machine.travel(at(7), tick=False):
        yield


@pytest.fixture
def tech(client):
    member = StaffMemberFactory(role="technologist")
    client.force_login(member.user)
    return member


def day_url():
    return reverse("radiology:day_list_for", args=["2027-01-13"])


def test_the_day_list_shows_each_rooms_appointments_in_time_order_with_readiness(client, tech):
    room = RoomFactory(name="Mammo A")
    late = AppointmentFactory(room=room, start=at(14), patient__family_name="Later")
    early = AppointmentFactory(
        room=room, start=at(9), patient__family_name="Early", patient__contrast_allergy=True, status="reminded"
    )
    ReadinessResponseFactory(
        appointment=early, discharge_present=False, expressed_last_48h=True, answered_at=timezone.now()
    )
    page = client.get(day_url()).content.decode()
    assert page.index("Early") < page.index("Later")
    assert "Mammo A" in page and "CONTRAST ALLERGY" in page
    assert "discharge NO" in page and "expressed YES" in page
    assert late.patient.mrn in page
    assert page.count('class="block') == 2  # two blocks on the timeline


def test_the_day_list_runs_the_same_number_of_queries_for_5_and_60_appointments(client, tech):
    rooms = [RoomFactory() for _ in range(3)]
    radiologist, assistant = StaffMemberFactory(radiologist=True), StaffMemberFactory()

    def add(count):
        for n in range(count):
            a = AppointmentFactory(
                room=rooms[n % 3],
                radiologist=radiologist,
                technologist=assistant,
                start=at(7, 30) + timedelta(minutes=10 * n),
                status="reminded",
            )
            ReadinessResponseFactory(appointment=a, answered_at=timezone.now())

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(day_url())
        assert response.status_code == 200
        return len(captured), response.content.decode()

    add(5)
    queries()  # a user's first request also loads her permissions into the process (permission_cache.py)
    few, _ = queries()
    add(55)
    many, page = queries()
    assert few == many
    assert many <= 10
    assert page.count('<tr class="') >= 60  # every appointment is listed, not just cheaply
    assert all(a.patient.mrn in page for a in Appointment.objects.all())


def test_the_day_list_filters_by_room_radiologist_and_mine(client, tech):
    a_room, b_room = RoomFactory(name="Room A"), RoomFactory(name="Room B")
    mine = AppointmentFactory(room=a_room, start=at(9), technologist=tech, patient__family_name="Mine")
    other = AppointmentFactory(room=b_room, start=at(10), patient__family_name="Zedd")
    in_room_a = client.get(day_url(), {"room": a_room.pk}).content.decode()
    assert "Mine" in in_room_a and "Zedd" not in in_room_a
    others = client.get(day_url(), {"radiologist": other.radiologist.pk}).content.decode()
    assert "Zedd" in others and "Mine" not in others
    only_mine = client.get(day_url(), {"mine": "on"}).content.decode()
    assert "Mine" in only_mine and "Zedd" not in only_mine
    assert mine.patient.mrn in only_mine


def test_the_day_list_refreshes_itself_and_htmx_gets_just_the_body(client, tech):
    AppointmentFactory(start=at(9))
    page = client.get(day_url()).content.decode()
    assert 'hx-trigger="every 60s"' in page
    body = client.get(day_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in body and "day-table" in body


def test_the_print_view_has_one_page_per_room(client, tech):
    for name in ("Room P", "Room Q"):
        AppointmentFactory(room=RoomFactory(name=name), start=at(9))
    page = client.get(day_url()).content.decode()
    assert len(re.findall(r'<section class="print-page', page)) == 2
    css = client.get("/static/css/app.css")
    stylesheet = b"".join(css.streaming_content).decode() if css.streaming else css.content.decode()
    assert "@page { size: A4" in stylesheet and "page-break-after: always" in stylesheet


def test_a_scheduler_may_read_the_day_list_but_a_patient_link_holder_may_not(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    assert client.get(day_url()).status_code == 200
    client.logout()
    assert client.get(day_url()).status_code == 302


def test_check_in_stores_the_checklist(client, tech):
    appointment = AppointmentFactory(start=at(10), status="reminded")
    with time_machine.travel(at(9, 50), tick=False):
        response = client.post(
            reverse("radiology:check_in", args=[appointment.pk]),
            {**CHECKLIST, "contrast_allergy_reported": "yes", "next": day_url()},
        )
    assert response.status_code == 302 and response.url == day_url()
    checklist = CheckInChecklist.objects.get(appointment=appointment)
    assert checklist.contrast_allergy_reported and checklist.consent_signed and checklist.completed_by == tech.user
    appointment.refresh_from_db()
    assert appointment.status == "checked_in" and appointment.checked_in_at == at(9, 50)


def test_no_discharge_today_offers_did_not_proceed_and_that_offer_is_accepted(client, tech):
    appointment = AppointmentFactory(start=at(10), status="reminded")
    ReservationFactory(resource=appointment.room.resource, start=at(10), end=at(10, 45), holder=appointment.holder)
    answers = {**CHECKLIST, "discharge_present_today": "no"}
    with time_machine.travel(at(9, 50), tick=False):
        response = client.post(reverse("radiology:check_in", args=[appointment.pk]), answers)
        page = response.content.decode()
        assert "the duct cannot be found" in page and "Did not proceed: no discharge today" in page
        appointment.refresh_from_db()
        assert appointment.status == "reminded" and not CheckInChecklist.objects.exists()
        offer = re.search(r'href="([^"]*did-not-proceed[^"]*)"', page).group(1).replace("&amp;", "&")
        form_page = client.get(offer)
        assert form_page.context["form"].initial == {"reason_code": "no_discharge", "arrived": True}
        done = client.post(offer, {"reason_code": "no_discharge"}, follow=True)
    assert done.status_code == 200
    appointment.refresh_from_db()
    assert (appointment.status, appointment.abort_reason_code) == ("did_not_proceed", "no_discharge")
    assert not Reservation.objects.filter(holder=appointment.holder, active=True).exists()


def test_expressed_within_48_hours_refuses_check_in_and_offers_did_not_proceed_which_is_accepted(client, tech):
    appointment = AppointmentFactory(start=at(10), status="reminded")
    ReservationFactory(resource=appointment.room.resource, start=at(10), end=at(10, 45), holder=appointment.holder)
    answers = {**CHECKLIST, "expressed_last_48h": "yes"}
    with time_machine.travel(at(9, 50), tick=False):
        response = client.post(reverse("radiology:check_in", args=[appointment.pk]), answers)
        page = response.content.decode()
        assert response.status_code == 200
        assert "Expressed within the last 48 hours" in page and "Did not proceed: expressed within 48 hours" in page
        appointment.refresh_from_db()
        assert appointment.status == "reminded" and not CheckInChecklist.objects.exists()
        offer = re.search(r'href="([^"]*did-not-proceed[^"]*)"', page).group(1).replace("&amp;", "&")
        form_page = client.get(offer)
        assert form_page.context["form"].initial == {"reason_code": "expressed", "arrived": True}
        done = client.post(offer, {"reason_code": "expressed"}, follow=True)
    assert done.status_code == 200
    appointment.refresh_from_db()
    assert (appointment.status, appointment.abort_reason_code) == ("did_not_proceed", "expressed")
    assert not Reservation.objects.filter(holder=appointment.holder, active=True).exists()


def test_check_in_without_consent_is_refused_next_to_the_field(client, tech):
    appointment = AppointmentFactory(start=at(10), status="reminded")
    answers = {k: v for k, v in CHECKLIST.items() if k != "consent_signed"}
    with time_machine.travel(at(9, 50), tick=False):
        page = client.post(reverse("radiology:check_in", args=[appointment.pk]), answers).content.decode()
    assert "The consent form must be signed before check-in." in page


def test_start_records_who_performs(client, tech):
    appointment = AppointmentFactory(start=at(10), status="checked_in")
    nurse = StaffMemberFactory(nurse=True)
    with time_machine.travel(at(10, 2), tick=False):
        client.post(
            reverse("radiology:start_procedure", args=[appointment.pk]),
            {"radiologist": appointment.radiologist.pk, "technologist": nurse.pk},
        )
    appointment.refresh_from_db()
    assert appointment.status == "in_procedure" and appointment.started_at == at(10, 2)
    assert appointment.technologist == nurse
    assert nurse.name in appointment.transitions.last().note


def test_complete_records_the_outcome_codes_and_plans_the_follow_up_message(client):
    radiologist = StaffMemberFactory(radiologist=True)
    client.force_login(radiologist.user)
    appointment = AppointmentFactory(start=at(10), status="in_procedure", started_at=at(10, 2), radiologist=radiologist)
    with time_machine.travel(at(10, 40), tick=False):
        response = client.post(
            reverse("radiology:complete_procedure", args=[appointment.pk]),
            {
                "cannulated": "on",
                "ducts": "multiple",
                "contrast_volume_ml": "1.5",
                "complications": ["pain"],
                "note": "Two ducts filled",
            },
            follow=True,
        )
    assert "procedure is complete; the outcome is saved" in response.content.decode()
    outcome = ProcedureOutcome.objects.get(appointment=appointment)
    assert (outcome.injection_cpt, outcome.imaging_cpt) == ("19030", "77054")
    assert outcome.complications == ["pain"] and outcome.actual_minutes == 38
    assert Message.objects.filter(subject=f"appointment:{appointment.pk}", kind="follow_up").exists()
    detail = client.get(appointment.get_absolute_url()).content.decode()
    assert "38 min (slot 45 min)" in detail


def test_other_complication_needs_a_note(client):
    radiologist = StaffMemberFactory(radiologist=True)
    client.force_login(radiologist.user)
    appointment = AppointmentFactory(start=at(10), status="in_procedure", started_at=at(10, 2))
    with time_machine.travel(at(10, 40), tick=False):
        page = client.post(
            reverse("radiology:complete_procedure", args=[appointment.pk]),
            {"cannulated": "on", "ducts": "single", "contrast_volume_ml": "1", "complications": ["other"]},
        ).content.decode()
    assert "Describe the other complication." in page
    appointment.refresh_from_db()
    assert appointment.status == "in_procedure"


def test_abort_with_a_reason_frees_the_room_and_people(client, tech):
    appointment = AppointmentFactory(start=at(10), status="in_procedure")
    ReservationFactory(resource=appointment.room.resource, start=at(10), end=at(10, 45), holder=appointment.holder)
    with time_machine.travel(at(10, 5), tick=False):
        client.post(reverse("radiology:abort_procedure", args=[appointment.pk]), {"reason_code": "patient_declined"})
    appointment.refresh_from_db()
    assert appointment.status == "incomplete" and appointment.abort_reason == "Patient declined to continue"
    assert not Reservation.objects.filter(holder=appointment.holder, active=True).exists()


def test_no_show_before_the_grace_period_is_refused_with_a_sentence(client, tech):
    appointment = AppointmentFactory(start=at(10), status="reminded")
    with time_machine.travel(at(10, 5), tick=False):
        page = client.post(reverse("radiology:no_show", args=[appointment.pk])).content.decode()
    assert "15 minutes after the appointment" in page
    with time_machine.travel(at(10, 20), tick=False):
        client.post(reverse("radiology:no_show", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.status == "no_show"


def test_a_radiologist_arranges_follow_up_with_its_own_reminder(client):
    radiologist = StaffMemberFactory(radiologist=True)
    client.force_login(radiologist.user)
    appointment = AppointmentFactory(start=at(10), status="completed", radiologist=radiologist)
    with time_machine.travel(at(12), tick=False):
        client.post(
            reverse("radiology:follow_up", args=[appointment.pk]),
            {"kind": "results_consultation", "scheduled_for": "2027-01-20T09:30"},
        )
    appointment.refresh_from_db()
    assert appointment.status == "follow_up"
    plan = FollowUpPlan.objects.get(appointment=appointment)
    assert plan.scheduled_for == datetime(2027, 1, 20, 9, 30, tzinfo=NY)
    reminder = Message.objects.get(subject=f"appointment:{appointment.pk}", kind="follow_up_visit")
    assert reminder.due_at == datetime(2027, 1, 19, 17, tzinfo=NY)


def test_no_follow_up_needs_a_reason(client):
    radiologist = StaffMemberFactory(radiologist=True)
    client.force_login(radiologist.user)
    appointment = AppointmentFactory(start=at(10), status="completed")
    page = client.post(reverse("radiology:follow_up", args=[appointment.pk]), {"kind": "none"}).content.decode()
    assert "Say why no follow-up is needed." in page


@pytest.mark.parametrize(
    ("role", "name", "state"),
    [
        ("scheduler", "radiology:check_in", "reminded"),
        ("scheduler", "radiology:start_procedure", "checked_in"),
        ("scheduler", "radiology:complete_procedure", "in_procedure"),
        ("technologist", "radiology:follow_up", "completed"),
        ("radiologist", "radiology:check_in", "reminded"),
        ("nurse", "radiology:follow_up", "completed"),
    ],
)
def test_each_action_page_refuses_the_wrong_role(client, role, name, state):
    appointment = AppointmentFactory(start=at(10), status=state)
    client.force_login(StaffMemberFactory(role=role).user)
    assert client.get(reverse(name, args=[appointment.pk])).status_code == 403
    assert client.post(reverse(name, args=[appointment.pk]), {}).status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == state


def test_the_radiologists_list_shows_what_waits_for_a_follow_up_decision(client):
    radiologist = StaffMemberFactory(radiologist=True)
    client.force_login(radiologist.user)
    waiting = AppointmentFactory(status="completed", radiologist=radiologist, patient__family_name="Waiting")
    AppointmentFactory(status="completed", patient__family_name="Someone Else")
    page = client.get(reverse("radiology:radiologist_list")).content.decode()
    assert "Waiting" in page and "Someone Else" not in page
    assert reverse("radiology:follow_up", args=[waiting.pk]) in page


def test_the_follow_up_page_shows_the_outcome_with_its_findings_and_impression(client):
    radiologist = StaffMemberFactory(radiologist=True)
    client.force_login(radiologist.user)
    appointment = AppointmentFactory(start=at(10), status="in_procedure", started_at=at(10, 2), radiologist=radiologist)
    with time_machine.travel(at(10, 40), tick=False):
        client.post(
            reverse("radiology:complete_procedure", args=[appointment.pk]),
            {
                "cannulated": "on",
                "ducts": "single",
                "contrast_volume_ml": "1.5",
                "complications": ["pain"],
                "findings": "Filling defect in a subareolar duct",
                "impression": "Likely intraductal papilloma",
            },
        )
        page = client.get(reverse("radiology:follow_up", args=[appointment.pk])).content.decode()
    assert "Filling defect in a subareolar duct" in page and "Likely intraductal papilloma" in page
    assert "Pain or discomfort" in page and "1.5 mL" in page


def test_the_radiologists_list_shows_each_appointment_once(client):
    radiologist = StaffMemberFactory(radiologist=True)
    client.force_login(radiologist.user)
    with time_machine.travel(at(8), tick=False):
        done = AppointmentFactory(start=at(9), status="completed", radiologist=radiologist, patient__family_name="Done")
        later = AppointmentFactory(
            start=at(11), status="reminded", radiologist=radiologist, patient__family_name="Later"
        )
        page = client.get(reverse("radiology:radiologist_list")).content.decode()
    assert page.count(f'href="/appointments/{done.pk}/"') == 1
    assert page.count(f'href="/appointments/{later.pk}/"') == 1


@pytest.mark.parametrize(
    ("role", "start_page"),
    [
        ("technologist", "/day/"),
        ("nurse", "/day/"),
        ("radiologist", "/worklist/radiologist/"),
        ("manager", "/dashboard/"),
        ("scheduler", "/schedule/"),
    ],
)
def test_each_role_lands_on_its_start_page(client, role, start_page):
    client.force_login(StaffMemberFactory(role=role).user)
    assert client.get("/").url == start_page


def test_an_empty_check_in_form_names_every_missing_answer_at_once(client, tech):
    # 36 and her order silent on pregnancy and breastfeeding: both are asked too.
    appointment = AppointmentFactory(start=at(10), status="reminded", patient__birth_date=date(1990, 5, 1))
    with time_machine.travel(at(9, 50), tick=False):
        page = client.post(reverse("radiology:check_in", args=[appointment.pk]), {}).content.decode()
    assert "Confirm the patient&#x27;s name and date of birth first." in page
    assert "The consent form must be signed before check-in." in page
    assert page.count("Ask the patient and tick Yes or No.") == 4  # allergy, discharge, expressed, breastfeeding
    assert "Ask whether she is or may be pregnant and tick her answer." in page
    appointment.refresh_from_db()
    assert appointment.status == "reminded"


def test_no_to_the_allergy_question_is_recorded_as_asked_and_not_reported(client, tech):
    appointment = AppointmentFactory(start=at(10), status="reminded")
    with time_machine.travel(at(9, 50), tick=False):
        client.post(reverse("radiology:check_in", args=[appointment.pk]), CHECKLIST)
    checklist = CheckInChecklist.objects.get(appointment=appointment)
    assert checklist.contrast_allergy_asked and not checklist.contrast_allergy_reported
    assert checklist.not_expressed_last_48h


def test_the_service_reports_every_broken_rule_in_one_refusal(tech):
    from radiology.errors import ServiceRefusal
    from radiology.services import workflow

    appointment = AppointmentFactory(start=at(10), status="reminded")
    # Her order states neither pregnancy nor breastfeeding, so both are asked (and unanswered).
    appointment.patient.birth_date = date(1990, 5, 1)
    appointment.patient.save()
    nothing = workflow.Checklist(False, False, False, False, False, False, False)
    with time_machine.travel(at(9, 50), tick=False), pytest.raises(ServiceRefusal) as error:
        workflow.check_in_patient(appointment_id=appointment.pk, actor=tech.user, checklist=nothing)
    assert set(error.value.fields) == {
        "identity_confirmed",
        "contrast_allergy_asked",
        "consent_signed",
        "side_confirmed",
        "discharge_present_today",
        "not_expressed_last_48h",
        "pregnancy",
        "breastfeeding",
    }


def test_the_complete_form_preselects_no_complication_so_ticking_pain_is_accepted(client):
    radiologist = StaffMemberFactory(radiologist=True)
    client.force_login(radiologist.user)
    appointment = AppointmentFactory(start=at(10), status="in_procedure", radiologist=radiologist)
    url = reverse("radiology:complete_procedure", args=[appointment.pk])
    form_page = client.get(url).content.decode()
    assert not re.search(r'<input[^>]*value="none"[^>]*checked', form_page)
    with time_machine.travel(at(10, 40), tick=False):
        response = client.post(
            url, {"cannulated": "on", "ducts": "single", "contrast_volume_ml": "1.5", "complications": ["pain"]}
        )
    assert response.status_code == 302
    assert ProcedureOutcome.objects.get(appointment=appointment).complications == ["pain"]


def test_none_with_another_complication_and_a_missing_volume_are_reported_together(client):
    radiologist = StaffMemberFactory(radiologist=True)
    client.force_login(radiologist.user)
    appointment = AppointmentFactory(start=at(10), status="in_procedure", radiologist=radiologist)
    with time_machine.travel(at(10, 40), tick=False):
        page = client.post(
            reverse("radiology:complete_procedure", args=[appointment.pk]),
            {"cannulated": "on", "ducts": "single", "contrast_volume_ml": "1", "complications": ["none", "other"]},
        ).content.decode()
    assert "“None” cannot go with other complications" in page and "Describe the other complication." in page


def test_a_repeat_ductogram_is_a_new_order_that_schedulers_book_now_and_its_reminders_follow_the_visit(client):
    from notifications.models import Message
    from radiology.models import Order

    radiologist = StaffMemberFactory(radiologist=True)
    appointment = AppointmentFactory(start=at(10), status="completed", radiologist=radiologist)
    client.force_login(radiologist.user)
    with time_machine.travel(at(12), tick=False):
        response = client.post(reverse("radiology:follow_up", args=[appointment.pk]), {"kind": "repeat_ductogram"})
    assert response.status_code == 302
    plan = FollowUpPlan.objects.get(appointment=appointment)
    repeat = plan.follow_up_order
    assert (repeat.status, repeat.patient_id, repeat.side) == (
        "waiting",
        appointment.patient_id,
        appointment.order.side,
    )
    assert repeat.accession_number != appointment.order.accession_number
    assert not Message.objects.filter(kind="follow_up_visit").exists()  # no reminder for a date nobody chose

    client.force_login(StaffMemberFactory(scheduler=True).user)
    page = client.get(appointment.get_absolute_url()).text
    assert f"/schedule/?order={repeat.pk}" in page and "Book the repeat ductogram now" in page
    search = client.get(f"/schedule/?order={repeat.pk}")
    assert search.status_code == 200 and repeat.accession_number in search.text
    assert Order.objects.filter(status="waiting", pk=repeat.pk).exists()

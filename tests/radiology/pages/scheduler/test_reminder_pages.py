"""The schedulers' to-do list and the appointment page's message and readiness partials."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from radiology import selectors
from radiology.services import reminders
from tests.factories import AppointmentFactory, ReadinessResponseFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def soon(**kwargs):
    return AppointmentFactory(start=timezone.now() + timedelta(days=2), **kwargs)


def test_the_todo_list_shows_who_asked_for_another_time_who_has_not_confirmed_and_who_is_not_ready(scheduler_client):
    asked = soon(reschedule_requested_at=timezone.now())
    unconfirmed = soon()
    not_ready = soon(patient_confirmed_at=timezone.now())
    ReadinessResponseFactory(appointment=not_ready, expressed_last_48h=True, contrast_allergy=True)
    fine = soon(patient_confirmed_at=timezone.now())
    ReadinessResponseFactory(appointment=fine)

    response = scheduler_client.get("/todo/")

    text = response.text
    assert response.status_code == 200
    assert asked.patient.full_name in text and "Asked for another time" in text
    assert unconfirmed.patient.full_name in text and "Not confirmed" in text
    assert not_ready.patient.full_name in text and "Expressed in the last 48 h" in text and "Contrast allergy" in text
    assert fine.patient.full_name not in text


def test_the_latest_readiness_answers_count(scheduler_client):
    appointment = soon(patient_confirmed_at=timezone.now())
    ReadinessResponseFactory(
        appointment=appointment, discharge_present=False, answered_at=timezone.now() - timedelta(hours=2)
    )
    ReadinessResponseFactory(appointment=appointment, discharge_present=True)

    assert appointment.patient.full_name not in scheduler_client.get("/todo/").text


def test_the_todo_list_runs_a_fixed_number_of_queries(scheduler_client, django_assert_max_num_queries):
    for _ in range(10):
        ReadinessResponseFactory(appointment=soon(), contrast_allergy=True)

    # 8 for the appointments' list, 1 for the (here empty) list of patients to reach, 1 for the
    # overdue result letters, 1 for the follow-up and missed-visit calls, 1 for the unanswered
    # order invitations, 1 for the read audit's insert, 3 for the earlier-slot offers.
    with django_assert_max_num_queries(16):
        response = scheduler_client.get("/todo/")
    assert response.status_code == 200
    assert response.text.count("Contrast allergy") >= 10


def test_a_technologist_has_no_todo_list(client):
    client.force_login(StaffMemberFactory().user)

    assert client.get("/todo/").status_code == 403


def test_the_messages_partial_shows_each_message_with_status_and_clinic_time(settings):
    appointment = AppointmentFactory()
    reminders.on_booked(appointment=appointment, now=timezone.now())

    html = render_to_string(
        "radiology/_appointment_messages.html",
        {
            "reminder_messages": selectors.appointment_messages(appointment),
            "CLINIC_TIME_ZONE": settings.CLINIC_TIME_ZONE,
        },
    )

    assert "Reminder: do not express for 48 hours" in html
    assert "Scheduled" in html
    assert f"{appointment.local_start - timedelta(hours=48):%H:%M}" in html


def test_the_readiness_partial_shows_the_answers(settings):
    answers = ReadinessResponseFactory(contrast_allergy=True, discharge_present=None)

    html = render_to_string(
        "radiology/_appointment_readiness.html",
        {
            "appointment": answers.appointment,
            "readiness": selectors.latest_readiness(answers.appointment),
            "CLINIC_TIME_ZONE": settings.CLINIC_TIME_ZONE,
        },
    )

    assert "Not sure" in html
    assert "text-danger" in html
    assert "not confirmed" in html

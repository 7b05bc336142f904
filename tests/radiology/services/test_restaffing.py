"""Other people at the same time: the slot search's free people for that minute, the
reservations moved at once, the patient told nothing, the people who join or leave told."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import Appointment, AppointmentStatus
from radiology.services.action_table import ACTIONS
from radiology.services.booking import book_appointment
from radiology.services.restaffing import candidates, propose_replacement, restaff_appointment
from scheduling.models import Reservation
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    StaffMemberFactory,
    UnavailabilityFactory,
    small_department,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


@pytest.fixture
def team():
    """Two rooms, three radiologists and two technologists, Mon–Fri 08–17."""
    return small_department(rooms=2, radiologists=3, technologists=2)


def book(galactogram, scheduler, team, *, start=WEDNESDAY_10, room=0, radiologist=0, technologist=0, **kwargs):
    return book_appointment(
        patient=kwargs.pop("patient", None) or PatientFactory(),
        procedure=galactogram,
        start=start,
        duration_minutes=45,
        actor=scheduler,
        room=team.rooms[room],
        radiologist=team.radiologists[radiologist],
        technologist=team.technologists[technologist],
        side="left",
        indication="spontaneous_single_duct",
        **kwargs,
    )


def held(appointment) -> set[int]:
    return set(Reservation.objects.filter(holder=appointment.holder, active=True).values_list("resource", flat=True))


def test_another_radiologist_takes_the_appointment_at_the_same_time_and_holds_its_time(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)

    restaffed = restaff_appointment(appointment_id=appointment.pk, actor=scheduler, radiologist=team.radiologists[1])

    assert (restaffed.start, restaffed.room, restaffed.technologist) == (
        WEDNESDAY_10,
        team.rooms[0],
        team.technologists[0],
    )
    assert restaffed.radiologist == team.radiologists[1]
    assert held(restaffed) == {
        team.rooms[0].resource_id,
        team.radiologists[1].resource_id,
        team.technologists[0].resource_id,
    }
    # The first radiologist is free again at that minute: someone else can be booked with her.
    other = book(galactogram, scheduler, team, room=1, radiologist=0, technologist=1)
    assert other.radiologist == team.radiologists[0]
    log = restaffed.transitions.order_by("pk").last()
    assert (log.action, log.from_status, log.to_status, log.actor) == ("restaff", "booked", "booked", scheduler)
    assert f"Radiologist {team.radiologists[0].name} → {team.radiologists[1].name}" in log.note


def test_the_patient_is_told_nothing_and_her_reminders_stay_as_planned(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    Appointment.objects.filter(pk=appointment.pk).update(patient_confirmed_at=NOW)
    planned = list(
        Message.objects.filter(subject=appointment.holder, audience="patient").values_list(
            "pk", "kind", "status", "due_at", "subject_version"
        )
    )

    restaffed = restaff_appointment(
        appointment_id=appointment.pk,
        actor=scheduler,
        radiologist=team.radiologists[2],
        technologist=team.technologists[1],
    )

    after = list(
        Message.objects.filter(subject=appointment.holder, audience="patient").values_list(
            "pk", "kind", "status", "due_at", "subject_version"
        )
    )
    assert after == planned and planned
    assert restaffed.version == appointment.version  # her reminders are for this very time
    assert restaffed.patient_confirmed_at == NOW  # her "I will come" still holds


def test_the_people_who_join_and_leave_are_told_when_it_is_within_48_hours(galactogram, scheduler, team):
    tomorrow = datetime(2027, 1, 5, 11, 0, tzinfo=NY)
    appointment = book(galactogram, scheduler, team, start=tomorrow, lead_time_override_reason="Urgent")
    leaving, joining = team.radiologists[0], team.radiologists[1]

    restaff_appointment(appointment_id=appointment.pk, actor=scheduler, radiologist=joining)

    notices = {
        (m.recipient, m.context["change"])
        for m in Message.objects.filter(subject=appointment.holder, audience="staff", kind="staff_change")
    }
    assert (joining.user.email, "assigned to you") in notices
    assert (leaving.user.email, "no longer yours: reassigned") in notices
    assert (team.technologists[0].user.email, "assigned to you") not in notices  # she stays


def test_the_candidates_are_the_people_free_at_that_very_minute(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    # The second radiologist is booked elsewhere then; the third is off that morning.
    book(
        galactogram, scheduler, team, start=WEDNESDAY_10 + timedelta(minutes=30), room=1, radiologist=1, technologist=1
    )
    UnavailabilityFactory(
        resource=team.radiologists[2].resource,
        start=WEDNESDAY_10 - timedelta(hours=2),
        end=WEDNESDAY_10 + timedelta(hours=1),
    )

    free = candidates(Appointment.objects.get(pk=appointment.pk))

    assert free == {"radiologist": [], "technologist": []}


def test_everyone_free_then_is_a_candidate_in_the_slot_searchs_order(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    free = candidates(Appointment.objects.get(pk=appointment.pk))
    assert free["radiologist"] == [team.radiologists[1], team.radiologists[2]]
    assert free["technologist"] == [team.technologists[1]]


def test_someone_on_time_off_then_is_refused_with_the_reason_and_nothing_changes(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    UnavailabilityFactory(
        resource=team.radiologists[1].resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=4)
    )

    with pytest.raises(ServiceRefusal) as refused:
        restaff_appointment(appointment_id=appointment.pk, actor=scheduler, radiologist=team.radiologists[1])

    assert refused.value.code == "invalid"
    assert refused.value.fields == {
        "radiologist": f"{team.radiologists[1]} is not available then (time off or closure)."
    }
    assert Appointment.objects.get(pk=appointment.pk).radiologist == team.radiologists[0]
    assert held(appointment) == {
        team.rooms[0].resource_id,
        team.radiologists[0].resource_id,
        team.technologists[0].resource_id,
    }
    assert not appointment.transitions.filter(action="restaff").exists()


def test_someone_booked_elsewhere_then_is_just_taken_with_who_is_free_instead(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    book(galactogram, scheduler, team, room=1, radiologist=1, technologist=1)

    with pytest.raises(ServiceRefusal) as refused:
        restaff_appointment(appointment_id=appointment.pk, actor=scheduler, radiologist=team.radiologists[1])

    assert (refused.value.code, refused.value.message) == (
        "conflict",
        "That time was just taken. Here are the next free times.",
    )
    assert [(s.start, s.radiologist) for s in refused.value.suggestions] == [(WEDNESDAY_10, team.radiologists[2])]
    assert Appointment.objects.get(pk=appointment.pk).radiologist == team.radiologists[0]


def test_naming_the_people_already_booked_changes_nothing_and_says_so(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    with pytest.raises(ServiceRefusal) as refused:
        restaff_appointment(appointment_id=appointment.pk, actor=scheduler, radiologist=team.radiologists[0])
    assert "already booked for it: nothing changes" in refused.value.message
    with pytest.raises(ServiceRefusal) as nobody:
        restaff_appointment(appointment_id=appointment.pk, actor=scheduler)
    assert nobody.value.fields.keys() == {"radiologist"}


def test_a_technologist_cannot_be_named_as_the_radiologist(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    with pytest.raises(ServiceRefusal) as refused:
        restaff_appointment(appointment_id=appointment.pk, actor=scheduler, radiologist=team.technologists[1])
    assert refused.value.fields == {"radiologist": f"{team.technologists[1].name} is not a radiologist."}


def test_a_technologist_may_not_change_the_staff(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    with pytest.raises(ServiceRefusal) as refused:
        restaff_appointment(
            appointment_id=appointment.pk, actor=team.technologists[0].user, radiologist=team.radiologists[1]
        )
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("state", AppointmentStatus.values)
def test_restaffing_is_offered_exactly_where_the_service_accepts_it(state):
    reasons = {"cancelled": {"cancel_reason": "earlier"}, "incomplete": {"abort_reason": "earlier"}}
    reasons["did_not_proceed"] = reasons["incomplete"]
    appointment = AppointmentFactory(status=state, **reasons.get(state, {}))
    spare = StaffMemberFactory(radiologist=True)
    scheduler = StaffMemberFactory(scheduler=True).user
    now = appointment.start - timedelta(hours=1)
    refusal = ACTIONS["restaff"].refusal(appointment, now)
    try:
        restaff_appointment(appointment_id=appointment.pk, actor=scheduler, radiologist=spare, now=now)
    except ServiceRefusal as refused:
        assert refused.message == refusal
        assert state not in ("booked", "prep_sent", "reminded", "checked_in")
    else:
        assert refusal is None
        assert Appointment.objects.get(pk=appointment.pk).radiologist == spare


def test_time_off_over_a_booking_proposes_the_first_free_person_of_that_role(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    UnavailabilityFactory(
        resource=team.radiologists[0].resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=8)
    )
    UnavailabilityFactory(
        resource=team.technologists[0].resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=8)
    )

    proposal = propose_replacement(Appointment.objects.get(pk=appointment.pk))

    assert (proposal.radiologist, proposal.technologist) == (team.radiologists[1], team.technologists[1])
    assert proposal.replaced == (team.radiologists[0], team.technologists[0])
    assert proposal.sentence == (
        f"{team.radiologists[0].name} and {team.technologists[0].name} are off then; "
        f"{team.radiologists[1].name} and {team.technologists[1].name} are free"
    )


def test_no_proposal_when_its_room_is_down_or_nobody_needs_replacing(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    assert propose_replacement(Appointment.objects.get(pk=appointment.pk)) is None
    UnavailabilityFactory(resource=team.rooms[0].resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=1))
    UnavailabilityFactory(
        resource=team.radiologists[0].resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=1)
    )
    assert propose_replacement(Appointment.objects.get(pk=appointment.pk)) is None


def test_on_the_day_a_checked_in_patient_can_be_given_another_radiologist(galactogram, scheduler, team):
    appointment = book(galactogram, scheduler, team)
    Appointment.objects.filter(pk=appointment.pk).update(status="checked_in")
    with time_machine.travel(WEDNESDAY_10 + timedelta(minutes=5), tick=False):
        restaffed = restaff_appointment(
            appointment_id=appointment.pk, actor=scheduler, radiologist=team.radiologists[1]
        )
    assert (restaffed.status, restaffed.radiologist) == ("checked_in", team.radiologists[1])

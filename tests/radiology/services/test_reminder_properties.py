"""A property over random sequences of book / reschedule / cancel / complete, with the clock
moving and the outbox delivering what falls due: at most one send per appointment, kind and
version, and no reminder for a cancelled appointment (only the cancellation notice)."""

import contextlib
from collections import Counter
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications import services as outbox
from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import Appointment
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment
from radiology.services.rescheduling import reschedule_appointment
from scheduling.clinic_time import clinic_zone
from tests.actions import take_action
from tests.factories import PatientFactory, StaffMemberFactory, small_department

pytestmark = pytest.mark.django_db
START = datetime(2026, 1, 12, 9, 0, tzinfo=clinic_zone())  # a Monday
AFTER_CANCEL_KINDS = {"cancelled", "staff_change"}

slot = st.tuples(st.integers(min_value=1, max_value=8), st.sampled_from([9, 10, 11, 13, 14, 15]))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("book"), slot),
        st.tuples(st.just("reschedule"), st.integers(0, 3), slot),
        st.tuples(st.just("cancel"), st.integers(0, 3)),
        st.tuples(st.just("complete"), st.integers(0, 3)),
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=60)),
    ),
    min_size=1,
    max_size=10,
)


class Recorder:
    sends: list = []

    def send(self, outgoing):
        message = Message.objects.get(idempotency_key=outgoing.idempotency_key)
        self.sends.append((message.subject, message.kind, message.audience, message.subject_version, Clock.now))
        return f"rec-{len(self.sends)}"

    def lookup(self, key):
        return None


class Clock:
    now = START


def deliver_due():
    while True:
        ids, token = outbox.claim_due(now=Clock.now, limit=500)
        if not ids:
            return
        for message_id in ids:
            outbox.deliver_message(message_id=message_id, token=token, now=Clock.now)


def advance(hours):
    # Walk in steps so each reminder goes out around its own time, not all at once at the end.
    target = Clock.now + timedelta(hours=hours)
    while Clock.now < target:
        Clock.now = min(target, Clock.now + timedelta(hours=4))
        deliver_due()


def slot_start(day_offset, hour):
    day = Clock.now.astimezone(clinic_zone()).date() + timedelta(days=day_offset)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=clinic_zone())


@pytest.fixture
def department(settings):
    settings.SMS_BACKEND = f"{__name__}.Recorder"
    small_department(rooms=2, radiologists=2, technologists=2)
    return StaffMemberFactory(scheduler=True).user


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_at_most_one_send_per_appointment_kind_and_version_and_none_after_a_cancel(department, steps):
    scheduler = department
    Clock.now, Recorder.sends = START, []
    with transaction.atomic():
        appointments, cancelled_at = [], {}
        for step in steps:
            # An illegal move (taken slot, wrong state) changes nothing.
            with contextlib.suppress(ServiceRefusal):
                run(step, scheduler, appointments, cancelled_at)
            deliver_due()
        advance(24 * 10)  # let everything still planned fall due
        assert not appointments or Recorder.sends  # the property is about real deliveries

        patient_sends = Counter((s, k, a, v) for s, k, a, v, _ in Recorder.sends if a == "patient")
        assert max(patient_sends.values(), default=1) == 1, patient_sends
        for subject, kind, _audience, _, at in Recorder.sends:
            cancelled = cancelled_at.get(subject)
            if cancelled is not None and at > cancelled:
                assert kind in AFTER_CANCEL_KINDS, (subject, kind, at, cancelled)
        transaction.set_rollback(True)


def run(step, scheduler, appointments, cancelled_at):
    action = step[0]
    if action == "wait":
        advance(step[1])
    elif action == "book":
        appointment = book_appointment(
            patient=PatientFactory(),
            procedure=_procedure(),
            start=slot_start(*step[1]),
            duration_minutes=45,
            actor=scheduler,
            lead_time_override_reason="Urgent",
            now=Clock.now,
        )
        appointments.append(appointment.pk)
    elif appointments:
        pk = appointments[step[1] % len(appointments)]
        if action == "reschedule":
            reschedule_appointment(
                appointment_id=pk,
                start=slot_start(*step[2]),
                actor=scheduler,
                lead_time_override_reason="Urgent",
                now=Clock.now,
            )
        elif action == "cancel":
            cancel_appointment(appointment_id=pk, actor=scheduler, reason_code="patient_request", now=Clock.now)
            cancelled_at[f"appointment:{pk}"] = Clock.now
        elif action == "complete":
            complete(pk, scheduler)


def complete(pk, scheduler):
    appointment = Appointment.objects.get(pk=pk)
    if appointment.status not in ("booked", "prep_sent", "reminded"):
        return
    if appointment.start > Clock.now:
        advance((appointment.start - Clock.now).total_seconds() / 3600)
    tech = appointment.technologist.user
    # The real services, as the pages and the API call them (completion plans the follow-up).
    for action in ("check_in", "start", "complete"):
        with time_machine.travel(Clock.now, tick=False):
            take_action(pk, action, tech)


def _procedure():
    from procedures.models import Procedure

    return Procedure.objects.get(slug="galactogram")

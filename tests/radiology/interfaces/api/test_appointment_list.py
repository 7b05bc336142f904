from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer

from radiology import selectors
from radiology.interfaces.api.appointment_list import appointment_list
from radiology.interfaces.api.serializers import AppointmentSerializer
from scheduling.clinic_time import clinic_zone, local_day_bounds
from tests.factories import AppointmentFactory, OrderFactory, PatientFactory, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 4, tzinfo=clinic_zone()).date()


def at(hour, minute=0):
    return datetime.combine(DAY, time(hour, minute), tzinfo=clinic_zone())


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


def the_day():
    return selectors.appointments_between(*local_day_bounds(DAY))


@pytest.fixture
def varied_day():
    """Appointments that exercise every field: another state and its reason, a confirmation
    with microseconds, an override, an order without a side, names that fall back or trim,
    one radiologist on two rows."""
    unnamed = StaffMemberFactory(user=UserFactory(first_name="", last_name=""))
    radiologist = StaffMemberFactory(radiologist=True)
    AppointmentFactory(start=at(8), radiologist=radiologist)
    AppointmentFactory(start=at(9), radiologist=radiologist, technologist=unnamed)
    AppointmentFactory(
        start=at(10),
        status="cancelled",
        cancel_reason="Patient request: moving away",
        patient_confirmed_at=timezone.now().replace(microsecond=123456),
    )
    patient = PatientFactory(given_name="", details_flagged_at=timezone.now())  # from a feed, to complete
    AppointmentFactory(
        start=at(11, 15),
        patient=patient,
        order=OrderFactory(patient=patient, side=""),
        lead_time_override_reason="Referrer asked for today",
        version=3,
    )
    AppointmentFactory(start=at(8) + timedelta(days=1))  # another day: not listed


def test_the_list_is_what_the_appointment_serializer_shows_byte_for_byte(varied_day):
    listed = appointment_list(the_day())

    assert len(listed) == 4
    assert rendered(listed) == rendered(AppointmentSerializer(the_day(), many=True).data)


def test_the_list_shows_the_status_in_the_language_of_the_request_as_the_serializer_does(varied_day):
    with translation.override("es"):
        listed = appointment_list(the_day())
        expected = AppointmentSerializer(the_day(), many=True).data

    assert rendered(listed) == rendered(expected)


def test_the_list_is_read_in_one_query(varied_day, django_assert_num_queries):
    with django_assert_num_queries(1):
        appointment_list(the_day())

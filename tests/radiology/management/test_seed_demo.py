from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from radiology.models import Appointment, AppointmentTransition, Patient, Room, StaffMember
from scheduling.models import Reservation

pytestmark = pytest.mark.django_db


def _counts():
    return {
        "rooms": Room.objects.count(),
        "staff": StaffMember.objects.count(),
        "patients": Patient.objects.count(),
        "appointments": Appointment.objects.count(),
        "transitions": AppointmentTransition.objects.count(),
        "reservations": Reservation.objects.count(),
    }


def test_seed_demo_twice_gives_the_same_counts(settings):
    settings.DEMO_PASSWORD = "demo-pass-for-test"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    call_command("seed_demo", stdout=StringIO())

    assert _counts() == first
    assert first["rooms"] == 2 and first["patients"] == 40
    assert StaffMember.objects.filter(role="radiologist").count() == 3
    assert StaffMember.objects.filter(role__in=["technologist", "nurse"]).count() == 4
    assert first["appointments"] >= 30
    assert "Demo department ready" in out.getvalue()


def test_the_demo_has_a_mix_of_states_and_working_logins(settings):
    settings.DEMO_PASSWORD = "demo-pass-for-test"
    call_command("seed_demo", stdout=StringIO())
    states = set(Appointment.objects.values_list("status", flat=True))
    assert {"booked", "completed", "cancelled", "no_show"} <= states
    for username in ["scheduler", "technologist", "nurse", "radiologist", "manager"]:
        assert authenticate(username=username, password="demo-pass-for-test"), username


def test_seed_demo_if_empty_leaves_an_existing_database_alone(settings):
    settings.DEMO_PASSWORD = "demo-pass-for-test"
    call_command("seed_demo", stdout=StringIO())
    before = _counts()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert _counts() == before
    assert "already has data" in out.getvalue()

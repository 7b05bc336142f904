"""A re-staffing without a move is an SIU S14 with the new people (AIP, AIG), parsed by a
real MLLP receiver with hl7apy at STRICT level; each re-staffing is its own message."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from radiology.services.restaffing import restaff_appointment
from tests.factories import PatientFactory, small_department
from tests.radiology.encoders.siu.test_siu_out import WEDNESDAY_10, book, deliver_due, field, siu_rows

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def two_room_dept():
    return small_department(rooms=2, radiologists=3, technologists=2)


def test_a_new_radiologist_at_the_same_time_is_an_s14_naming_her_and_a_second_change_is_another(
    receiver, galactogram, two_room_dept, scheduler
):
    patient = PatientFactory(mrn="MRN-0042", given_name="Ana", family_name="Lopez")
    appointment = book(galactogram, scheduler, two_room_dept, patient=patient)
    first, second = two_room_dept.radiologists[1], two_room_dept.radiologists[2]

    restaff_appointment(appointment_id=appointment.pk, actor=scheduler, radiologist=first)
    restaff_appointment(
        appointment_id=appointment.pk, actor=scheduler, radiologist=second, technologist=two_room_dept.technologists[1]
    )
    for _ in range(3):
        deliver_due()

    assert [(r.event, r.error) for r in receiver.received] == [("S12", ""), ("S14", ""), ("S14", "")]
    s14 = receiver.received[1]
    assert field(s14, "AIP", 3) == f"{first.pk}^{first.user.last_name}^{first.user.first_name}"
    assert field(s14, "SCH", 6) == "S14^Modified: room or staff^L"
    assert field(s14, "SCH", 11) == "^^M45^20270113100000-0500^20270113104500-0500"  # the same time
    assert field(receiver.received[2], "AIP", 3) == f"{second.pk}^{second.user.last_name}^{second.user.first_name}"
    assert field(receiver.received[2], "AIG", 3) == (
        f"{two_room_dept.technologists[1].pk}^{two_room_dept.technologists[1].name}"
    )
    assert len({r.control_id for r in receiver.received}) == 3
    assert [r.subject_version for r in siu_rows(appointment)] == [1, 1, 1]  # the time's version is unchanged
    appointment.refresh_from_db()
    assert (appointment.start, appointment.version) == (WEDNESDAY_10, 1)

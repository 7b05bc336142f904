"""After a re-staffing the mammography unit's worklist names the new performer: a pynetdicom
modality asks the running SCP before and after (the kept answer follows the change counter)."""

import pytest
from pynetdicom.sop_class import ModalityWorklistInformationFind

from radiology.services.restaffing import restaff_appointment
from tests.factories import StaffMemberFactory
from tests.radiology.interfaces.dicom.conftest import modality_association
from tests.radiology.interfaces.dicom.test_worklist_items import step_query

pytestmark = pytest.mark.django_db(transaction=True)


def performers(port, day) -> dict[str, str]:
    query = step_query(ScheduledProcedureStepStartDate=day.strftime("%Y%m%d"), ScheduledPerformingPhysicianName="")
    found = {}
    with modality_association(port, ModalityWorklistInformationFind) as assoc:
        for _status, identifier in assoc.send_c_find(query, ModalityWorklistInformationFind):
            if identifier is not None:
                step = identifier.ScheduledProcedureStepSequence[0]
                found[str(identifier.AccessionNumber)] = str(step.ScheduledPerformingPhysicianName)
    return found


def test_the_worklist_item_names_the_radiologist_who_took_over(worklist_server, worklist_day, scheduler):
    day, _, appointments = worklist_day
    booked = appointments["nunez"].radiologist.user
    assert performers(worklist_server, day)["ACC0001"] == f"{booked.last_name}^{booked.first_name}"
    cover = StaffMemberFactory(radiologist=True, user__first_name="Rosa", user__last_name="Adeyemi")

    restaff_appointment(appointment_id=appointments["nunez"].pk, actor=scheduler, radiologist=cover)

    assert performers(worklist_server, day)["ACC0001"] == "Adeyemi^Rosa"

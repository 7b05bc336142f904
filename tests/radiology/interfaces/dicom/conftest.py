"""The worklist SCP on an OS-chosen port, dcmtk's findscu, and a small department day.

Tests that talk to the SCP over TCP use django_db(transaction=True): pynetdicom answers in
its own threads, which see only committed rows.
"""

import shutil
import subprocess
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from pydicom import dcmread

from scheduling.clinic_time import clinic_zone
from tests.factories import AppointmentFactory, OrderFactory, PatientFactory, RoomFactory, a_weekday

DCMTK_TOOLS = ("findscu", "wlmscpfs", "dump2dcm")


@pytest.fixture
def dcmtk():
    missing = [tool for tool in DCMTK_TOOLS if shutil.which(tool) is None]
    if missing:
        from tests.conftest import _missing

        _missing(f"needs Debian dcmtk ({', '.join(missing)}): run `make dicom-deps` as root")


@pytest.fixture
def worklist_server(settings):
    from radiology.interfaces.dicom import scp

    server = scp.start(bind="127.0.0.1", port=0, ae_title="GALACTO", block=False)
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


@contextmanager
def modality_association(port: int, abstract_syntax, *, transfer_syntax=None, max_pdu: int = 16382):
    """A pynetdicom modality (AE title MAMMO1) associated with the SCP, released afterwards."""
    from pynetdicom import AE

    ae = AE(ae_title="MAMMO1")
    ae.maximum_pdu_size = max_pdu
    if transfer_syntax is None:
        ae.add_requested_context(abstract_syntax)
    else:
        ae.add_requested_context(abstract_syntax, transfer_syntax)
    assoc = ae.associate("127.0.0.1", port, ae_title="GALACTO")
    assert assoc.is_established
    try:
        yield assoc
    finally:
        assoc.release()


def findscu(port: int, keys: list[str], out_dir: Path, *, called_ae: str = "GALACTO", options=()) -> list:
    """Run `findscu -W` with each -k key once; return the response identifiers it wrote
    (-X, -od), parsed with pydicom, in the order received."""
    names = [k.split("=", 1)[0] for k in keys]
    assert len(names) == len(set(names)), "findscu silently keeps only the last of a repeated -k key"
    out_dir.mkdir(parents=True, exist_ok=True)
    command = ["findscu", "-W", *options, "-aet", "MODALITY", "-aec", called_ae, "-X", "-od", str(out_dir)]
    for key in keys:
        command += ["-k", key]
    command += ["127.0.0.1", str(port)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603 - our own argv
    assert result.returncode == 0, result.stderr
    return [dcmread(path) for path in sorted(out_dir.glob("rsp*.dcm"))]


def accessions(replies) -> set[str]:
    return {str(r.AccessionNumber) for r in replies}


def at_local(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clinic_zone())


@pytest.fixture
def worklist_day(db):
    """Two rooms on one weekday and the next: five appointments on the worklist and two
    that are not (cancelled, already in procedure)."""
    day = a_weekday(days_ahead=10)
    next_day = day + timedelta(days=1)
    mammo1, mammo2 = RoomFactory(name="Mammo 1", ae_title="MAMMO1"), RoomFactory(name="Mammo 2", ae_title="MAMMO2")

    def book(acc, family, given, room, start, status="booked", **order):
        patient = PatientFactory(family_name=family, given_name=given)
        return AppointmentFactory(
            patient=patient,
            order=OrderFactory(patient=patient, accession_number=acc, status="scheduled", **order),
            room=room,
            start=start,
            status=status,
            cancel_reason="Patient asked" if status == "cancelled" else "",
        )

    appointments = {
        "nunez": book("ACC0001", "Núñez", "José", mammo1, at_local(day, 8, 30)),
        "smith": book("ACC0002", "Smith", "Anna", mammo1, at_local(day, 10), status="checked_in"),
        "smithers": book("ACC0003", "Smithers", "Beth", mammo2, at_local(day, 11), side="right"),
        "jones": book("ACC0004", "Jones", "Carol", mammo1, at_local(next_day, 9), discharge_ducts="multiple"),
        "lee": book("ACC0005", "Lee", "Dana", mammo2, at_local(next_day, 14, 15)),
        "gone": book("ACC0006", "Smith", "Eve", mammo1, at_local(day, 13), status="cancelled"),
        "busy": book("ACC0007", "Smith", "Fay", mammo1, at_local(day, 9), status="in_procedure"),
    }
    return day, next_day, appointments

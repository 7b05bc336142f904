"""The DICOM Modality Worklist (issue #11): a C-FIND for one day with 200 items, timed end to
end as a modality sees it (dcmtk `findscu` wall time, process start included), against the
SCP running in this process. Also prints the database queries for 20 and for 200 items:
they must not grow with the number of items. Goal: ≤ 100 ms."""

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path

from _django import bench_database, count_queries, summary
from django.utils import timezone

ITEMS = 200
ROOMS = 10
RUNS = 30


def build(day):
    from procedures.models import Procedure
    from radiology.models import Appointment, Order, Patient
    from radiology.services.department import ensure_room, ensure_staff_member
    from scheduling.clinic_time import clinic_zone

    zone = clinic_zone()
    rooms = [ensure_room(name=f"Mammo {i}") for i in range(1, ROOMS + 1)]
    for number, room in enumerate(rooms, start=1):
        type(room).objects.filter(pk=room.pk).update(ae_title=f"MAMMO{number}")
    radiologists = [
        ensure_staff_member(username=f"rad{i}", role="radiologist", first_name="R", last_name=str(i), password="x")
        for i in range(5)
    ]
    tech = ensure_staff_member(username="tech", role="technologist", first_name="T", last_name="T", password="x")
    procedure = Procedure.objects.get(slug="galactogram")
    patients = Patient.objects.bulk_create(
        Patient(
            mrn=f"W{n:05d}", given_name="José", family_name=f"Núñez{n}", birth_date="1970-01-01", phone="+12025550100"
        )
        for n in range(ITEMS)
    )
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            patient=patients[n],
            procedure=procedure,
            accession_number=f"BW{n:08d}",
            study_instance_uid=f"2.25.{10**20 + n}",
            side="left" if n % 2 else "right",
            indication="bloody",
            referring_physician_family_name="House",
            referring_physician_given_name="Gregory",
            status="scheduled",
            received_at=now,
        )
        for n in range(ITEMS)
    )
    start = datetime.combine(day, time(7), tzinfo=zone)
    Appointment.objects.bulk_create(
        Appointment(
            patient=patients[n],
            order=orders[n],
            procedure=procedure,
            start=start + timedelta(minutes=3 * (n // ROOMS)),
            end=start + timedelta(minutes=3 * (n // ROOMS) + 30),
            duration_minutes=30,
            room=rooms[n % ROOMS],
            radiologist=radiologists[n % 5],
            technologist=tech,
            status="reminded",
        )
        for n in range(ITEMS)
    )


def findscu_command(port: int, day: str, out: Path, station: str = "") -> list[str]:
    step = "ScheduledProcedureStepSequence[0]"
    keys = [
        "SpecificCharacterSet=ISO_IR 192",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "AccessionNumber",
        "StudyInstanceUID",
        "RequestedProcedureDescription",
        "RequestedProcedureCodeSequence",
        f"{step}.Modality=MG",
        f"{step}.ScheduledStationAETitle={station}",
        f"{step}.ScheduledProcedureStepStartDate={day}",
        f"{step}.ScheduledProcedureStepStartTime",
        f"{step}.ScheduledPerformingPhysicianName",
        f"{step}.ScheduledProcedureStepID",
        f"{step}.ScheduledProcedureStepDescription",
    ]
    command = ["findscu", "-W", "-aet", "MAMMO1", "-aec", "GALACTO", "-X", "-od", str(out)]
    for key in keys:
        command += ["-k", key]
    return [*command, "127.0.0.1", str(port)]


def measure(port: int, dicom_day: str, out: Path, runs: int = RUNS) -> tuple[list[float], list[float]]:
    """findscu wall time and this process's CPU time per query, in ms (two warm-up runs)."""
    samples, cpu = [], []
    for run in range(runs + 2):
        for old in out.glob("rsp*.dcm"):
            old.unlink()
        began, used = clock.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        subprocess.run(findscu_command(port, dicom_day, out), check=True, capture_output=True, timeout=60)
        if run >= 2:
            samples.append((clock.perf_counter() - began) * 1000)
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu.append((after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime) * 1000)
    answered = len(list(out.glob("rsp*.dcm")))
    assert answered == ITEMS, answered
    return samples, cpu


def main():
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    from radiology.dicom import scp, worklist
    from scheduling.clinic_time import clinic_zone

    if shutil.which("findscu") is None:
        print("findscu not found: install Debian's dcmtk (make dicom-deps)")
        sys.exit(1)
    day = timezone.now().astimezone(clinic_zone()).date() + timedelta(days=1)
    dicom_day = day.strftime("%Y%m%d")
    with bench_database("gal_bench_worklist"), tempfile.TemporaryDirectory() as tmp:
        build(day)
        server = scp.start(bind="127.0.0.1", port=0, ae_title="GALACTO", block=False)
        port = server.server_address[1]
        try:
            samples, cpu = measure(port, dicom_day, Path(tmp))
            # The floor under our code: the same 200 replies computed once and replayed, so
            # only pynetdicom (encoding, DIMSE, sockets) and findscu remain.
            live_find, replies = worklist.find, {}
            worklist.find = lambda q: replies["day"] if "day" in replies else replies.setdefault("day", live_find(q))
            try:
                floor, floor_cpu = measure(port, dicom_day, Path(tmp), runs=RUNS // 2)
            finally:
                worklist.find = live_find
        finally:
            server.shutdown()

        def query(station: str) -> Dataset:
            ds, step = Dataset(), Dataset()
            ds.PatientName = ""
            step.ScheduledStationAETitle = station
            step.ScheduledProcedureStepStartDate = dicom_day
            ds.ScheduledProcedureStepSequence = Sequence([step])
            return ds

        one_room = count_queries(lambda: worklist.find(query("MAMMO1")))
        all_rooms = count_queries(lambda: worklist.find(query("")))
        print(f"worklist C-FIND, one day, {ITEMS} items, findscu wall time: {summary(samples)} — goal ≤ 100 ms")
        print(f"SCP process CPU time per query (this process: database read, matching, encoding): {summary(cpu)}")
        print(f"transport floor (replies precomputed): findscu {summary(floor)}; SCP CPU {summary(floor_cpu)}")
        print(f"machine load while measuring (1-minute average, {os.cpu_count()} CPUs): {os.getloadavg()[0]:.1f}")
        print(f"database queries: {one_room} for one room ({ITEMS // ROOMS} items), {all_rooms} for all {ITEMS} items")


if __name__ == "__main__":
    main()

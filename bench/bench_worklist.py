"""The DICOM Modality Worklist (issue #11): a C-FIND for one day with 200 items, timed end to
end as a modality sees it (dcmtk `findscu` wall time, process start included), against the
SCP running in this process. Also prints the database queries for 20 and for 200 items:
they must not grow with the number of items. Goal: ≤ 100 ms.

Measured five ways, round robin: a repeated query with nothing changed (what a modality
polling its worklist sees most of the time: the answer is kept, radiology/interfaces/dicom/answers.py),
a query after a change to the day (the answer is rebuilt, the changed row built again), a
cold query with nothing kept (the first after the service starts: every item built and
encoded), the repeated query over mutual TLS, and dcmtk's reference wlmscpfs serving the
same items from .wl files, as a baseline from the same run on the same machine. Also a
C-ECHO round trip from dcmtk's echoscu, ours and wlmscpfs: the fixed cost of an
association, without any item."""

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time as clock
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path

from _django import bench_database, count_queries, sized, summary
from django.utils import timezone

ITEMS = sized(200, 20)
ROOMS = 10
RUNS = sized(20, 1)


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


def findscu_command(port: int, day: str, out: Path, station: str = "", options=()) -> list[str]:
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
    command = ["findscu", "-W", *options, "-aet", "MAMMO1", "-aec", "GALACTO", "-X", "-od", str(out)]
    for key in keys:
        command += ["-k", key]
    return [*command, "127.0.0.1", str(port)]


def query_once(port: int, dicom_day: str, out: Path, options=()) -> tuple[float, float]:
    """One findscu query: its wall time and this process's CPU time meanwhile, in ms."""
    for old in out.glob("rsp*.dcm"):
        old.unlink()
    began, used = clock.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    subprocess.run(findscu_command(port, dicom_day, out, options=options), check=True, capture_output=True, timeout=60)
    wall = (clock.perf_counter() - began) * 1000
    after = resource.getrusage(resource.RUSAGE_SELF)
    answered = len(list(out.glob("rsp*.dcm")))
    assert answered == ITEMS, answered
    return wall, (after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime) * 1000


def start_over_tls(tmp: Path):
    """A second SCP with the hospital's certificates (tests/pki.py), and findscu's options to
    reach it with the modality's."""
    from django.conf import settings

    from radiology.interfaces.dicom import scp
    from tests.pki import make_pki

    (tmp / "pki").mkdir()
    pki = make_pki(tmp / "pki")
    saved = settings.WORKLIST_TLS_CERT, settings.WORKLIST_TLS_KEY, settings.WORKLIST_TLS_CA
    settings.WORKLIST_TLS_CERT, settings.WORKLIST_TLS_KEY, settings.WORKLIST_TLS_CA = (
        pki.server.cert,
        pki.server.key,
        pki.ca,
    )
    try:
        server = scp.start(bind="127.0.0.1", port=0, ae_title="GALACTO", block=False)
    finally:
        settings.WORKLIST_TLS_CERT, settings.WORKLIST_TLS_KEY, settings.WORKLIST_TLS_CA = saved
    return server, ("+tls", pki.client.key, pki.client.cert, "+cf", pki.ca)


def echo_once(port: int) -> float:
    """One echoscu C-ECHO: association, echo, release. Its wall time in ms."""
    began = clock.perf_counter()
    subprocess.run(["echoscu", "-aec", "GALACTO", "127.0.0.1", str(port)], check=True, capture_output=True, timeout=60)  # noqa: S607
    return (clock.perf_counter() - began) * 1000


@contextmanager
def reference_server(day, tmp: Path):
    """The same 200 items as .wl files served by dcmtk's own wlmscpfs (C++)."""
    from radiology.interfaces.dicom.items import worklist_item
    from radiology.selectors.modality import worklist_appointments
    from tests.radiology.interfaces.dicom.reference_worklist import free_port, write_worklist_files

    items = [worklist_item(a) for a in worklist_appointments(first_day=day, last_day=day, station_ae_title=None)]
    write_worklist_files(items, tmp / "wlm", "GALACTO")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed tool
        ["wlmscpfs", "--single-process", "-dfp", str(tmp / "wlm"), str(port)],  # noqa: S607
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        clock.sleep(1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    from django.conf import settings
    from django.db import connection
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    from config.db_pool import pool_connections
    from radiology.interfaces.dicom import answers, scp
    from radiology.models import Patient
    from scheduling.clinic_time import clinic_zone

    if shutil.which("findscu") is None or shutil.which("wlmscpfs") is None:
        print("findscu/wlmscpfs not found: install Debian's dcmtk (make dicom-deps)")
        sys.exit(1)
    day = timezone.now().astimezone(clinic_zone()).date() + timedelta(days=1)
    dicom_day = day.strftime("%Y%m%d")
    # findscu writes each answer to a file (-X): in memory where the machine allows, so the
    # disk's mood (database commits share it) is not part of a server's figure.
    memory = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - a scratch directory of our own
    with bench_database("gal_bench_worklist"), tempfile.TemporaryDirectory(dir=memory) as tmp:
        build(day)
        out = Path(tmp) / "out"
        out.mkdir()
        patient = Patient.objects.get(mrn="W00007")

        def a_change():  # a correction to one patient's record: the day's answer is rebuilt
            patient.given_name = "José María" if patient.given_name == "José" else "José"
            patient.save(update_fields=["given_name"])

        # As `manage.py worklist_scp` serves: its association threads' connections pooled.
        pooled = pool_connections(max_size=settings.WORKLIST_DB_POOL_SIZE)
        server = scp.start(bind="127.0.0.1", port=0, ae_title="GALACTO", block=False)
        port = server.server_address[1]
        tls_server, tls_options = start_over_tls(Path(tmp))
        samples = {name: [] for name in ("unchanged", "changed", "cold", "tls", "wlmscpfs", "echo", "echo wlmscpfs")}
        samples |= {f"cpu {name}": [] for name in ("unchanged", "changed", "cold")}
        try:
            with reference_server(day, Path(tmp)) as reference_port:
                # Round robin: on a shared machine the speed drifts; each ratio compares neighbours.
                for run in range(RUNS + 2):
                    wall, cpu = query_once(port, dicom_day, out)
                    a_change()
                    wall_changed, cpu_changed = query_once(port, dicom_day, out)
                    answers.forget()
                    wall_cold, cpu_cold = query_once(port, dicom_day, out)
                    wall_tls, _ = query_once(tls_server.server_address[1], dicom_day, out, options=tls_options)
                    wall_reference, _ = query_once(reference_port, dicom_day, out)
                    echo, echo_reference = echo_once(port), echo_once(reference_port)
                    if run >= 2:
                        for name, value in (
                            ("unchanged", wall),
                            ("cpu unchanged", cpu),
                            ("changed", wall_changed),
                            ("cpu changed", cpu_changed),
                            ("cold", wall_cold),
                            ("cpu cold", cpu_cold),
                            ("tls", wall_tls),
                            ("wlmscpfs", wall_reference),
                            ("echo", echo),
                            ("echo wlmscpfs", echo_reference),
                        ):
                            samples[name].append(value)
        finally:
            server.shutdown()
            tls_server.shutdown()

        def query(station: str) -> Dataset:
            ds, step = Dataset(), Dataset()
            ds.PatientName = ""
            step.ScheduledStationAETitle = station
            step.ScheduledProcedureStepStartDate = dicom_day
            ds.ScheduledProcedureStepSequence = Sequence([step])
            return ds

        answers.forget()
        one_room = count_queries(lambda: answers.replies(query("MAMMO1")))
        all_rooms = count_queries(lambda: answers.replies(query("")))
        repeated = count_queries(lambda: answers.replies(query("")))
        median = {name: statistics.median(values) for name, values in samples.items()}
        print(f"worklist C-FIND, one day, {ITEMS} items, findscu wall time (process start included):")
        print(f"  nothing changed since the last query: {summary(samples['unchanged'])} — goal ≤ 100 ms")
        print(f"  after a change to the day (answer rebuilt): {summary(samples['changed'])}")
        print(f"  cold, nothing kept (first query after a start): {summary(samples['cold'])}")
        print(f"  over mutual TLS, nothing changed (findscu +tls, RSA 2048): {summary(samples['tls'])}")
        print(f"  dcmtk's wlmscpfs, same items and query (reference): {summary(samples['wlmscpfs'])}")
        ratios = ", ".join(
            f"{name} {median[name] / median['wlmscpfs']:.2f}x" for name in ("unchanged", "changed", "cold")
        )
        print(f"  ours / wlmscpfs (medians): {ratios}")
        for name in ("unchanged", "changed", "cold"):
            print(f"SCP CPU per query, {name}: {summary(samples[f'cpu {name}'])}")
        print(
            f"C-ECHO round trip (echoscu wall time): ours {summary(samples['echo'])}; "
            f"wlmscpfs {summary(samples['echo wlmscpfs'])}"
        )
        print(f"machine load while measuring (1-minute average, {os.cpu_count()} CPUs): {os.getloadavg()[0]:.1f}")
        print(
            f"database queries: {one_room} for one room ({ITEMS // ROOMS} items), {all_rooms} for all {ITEMS} items, "
            f"{repeated} for a repeated query"
        )
        pool = f"a pool of at most {settings.WORKLIST_DB_POOL_SIZE}" if pooled else "one per association thread"
        print(f"database connections of the SCP: {pool}")
        if pooled:
            connection.close_pool()  # before the database is dropped


if __name__ == "__main__":
    main()

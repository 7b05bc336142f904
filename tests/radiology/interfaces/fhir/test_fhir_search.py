"""Appointment search: dates with prefixes, people and places, status lists, accession,
paging links, constant query counts, and a week over the end of daylight saving time."""

from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from radiology.services.cancellation import cancel_appointment
from scheduling.clinic_time import clinic_zone
from tests.factories import PatientFactory, small_department
from tests.radiology.interfaces.fhir.conftest import at, book, fhir

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(clock, department, scheduler):
    """Wednesday 09:00 and 11:00 (the second room), Thursday 09:00 (cancelled), Friday 10:00."""
    wed9 = book(start=at(2, 9), actor=scheduler, room=department.rooms[0])
    wed11 = book(start=at(2, 11), actor=scheduler, room=department.rooms[1])
    thu9 = book(start=at(3, 9), actor=scheduler, room=department.rooms[0])
    cancel_appointment(appointment_id=thu9.pk, actor=scheduler, reason_code="patient_unwell")
    fri10 = book(start=at(4, 10), actor=scheduler, room=department.rooms[0])
    return {"wed9": wed9, "wed11": wed11, "thu9": thu9, "fri10": fri10}


def ids(response) -> list[int]:
    return [int(e["resource"]["id"]) for e in response.body.get("entry", [])]


def test_a_date_is_a_local_clinic_day(client, week):
    assert ids(fhir(client, "GET", "Appointment", date="2026-11-18")) == [week["wed9"].pk, week["wed11"].pk]


def test_ge_and_lt_prefixes_make_a_range(client, week):
    found = fhir(client, "GET", "Appointment", date=["ge2026-11-18T10:00:00-05:00", "lt2026-11-20"])
    assert ids(found) == [week["wed11"].pk, week["thu9"].pk]


def test_gt_and_le_prefixes_compare_with_the_whole_day(client, week):
    assert ids(fhir(client, "GET", "Appointment", date="gt2026-11-19")) == [week["fri10"].pk]
    assert ids(fhir(client, "GET", "Appointment", date="le2026-11-18")) == [week["wed9"].pk, week["wed11"].pk]
    assert ids(fhir(client, "GET", "Appointment", date="eq2026-11-20")) == [week["fri10"].pk]


def test_status_takes_a_comma_list_of_r4_codes(client, week):
    assert ids(fhir(client, "GET", "Appointment", status="cancelled")) == [week["thu9"].pk]
    assert len(ids(fhir(client, "GET", "Appointment", status="booked,cancelled"))) == 4
    assert ids(fhir(client, "GET", "Appointment", status="waitlist")) == []


def test_actor_patient_practitioner_and_location(client, week, department):
    wed9 = week["wed9"]
    assert ids(fhir(client, "GET", "Appointment", patient=f"Patient/{wed9.patient_id}")) == [wed9.pk]
    assert ids(fhir(client, "GET", "Appointment", actor=f"Patient/{wed9.patient_id}")) == [wed9.pk]
    assert ids(fhir(client, "GET", "Appointment", location=f"Location/{department.rooms[1].pk}")) == [week["wed11"].pk]
    by_radiologist = fhir(client, "GET", "Appointment", practitioner=f"Practitioner/{wed9.radiologist_id}")
    assert len(ids(by_radiologist)) == 4  # the only radiologist
    by_technologist = fhir(client, "GET", "Appointment", actor=f"Practitioner/{wed9.technologist_id}")
    assert wed9.pk in ids(by_technologist)


def test_identifier_is_the_accession_number(client, week, settings):
    fri10 = week["fri10"]
    accession = fri10.order.accession_number
    assert ids(fhir(client, "GET", "Appointment", identifier=accession)) == [fri10.pk]
    assert ids(fhir(client, "GET", "Appointment", identifier=f"{settings.FHIR_ACCESSION_SYSTEM}|{accession}")) == [
        fri10.pk
    ]
    assert ids(fhir(client, "GET", "Appointment", identifier="GA-NOT-THERE")) == []


def test_count_pages_with_next_and_previous_links_and_absolute_full_urls(client, week):
    first = fhir(client, "GET", "Appointment", _count=2).body
    assert first["type"] == "searchset"
    assert first["total"] == 4
    assert len(first["entry"]) == 2
    assert all(e["fullUrl"] == f"http://testserver/fhir/R4/Appointment/{e['resource']['id']}" for e in first["entry"])
    assert all(e["search"]["mode"] == "match" for e in first["entry"])
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert links["self"].startswith("http://testserver/fhir/R4/Appointment?")
    assert "previous" not in links
    following = urlparse(links["next"])
    second = fhir(client, "GET", following.path, **{k: v[0] for k, v in parse_qs(following.query).items()}).body
    assert len(second["entry"]) == 2
    assert "next" not in {link["relation"] for link in second["link"]}
    assert {e["resource"]["id"] for e in first["entry"]}.isdisjoint({e["resource"]["id"] for e in second["entry"]})


def test_unknown_parameters_are_ignored_and_left_out_of_the_self_link_unless_strict(client, week):
    bundle = fhir(client, "GET", "Appointment", colour="blue", date="2026-11-18").body
    assert bundle["total"] == 2
    assert "colour" not in bundle["link"][0]["url"]
    strict = client.get("/fhir/R4/Appointment?colour=blue", HTTP_PREFER="handling=strict")
    assert strict.status_code == 400
    assert strict.json()["resourceType"] == "OperationOutcome"


def test_appointment_search_runs_the_same_number_of_queries_for_2_or_20_appointments(client, clock, scheduler):
    small_department(rooms=2, radiologists=2, technologists=2)

    def queries_for_day() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = fhir(client, "GET", "Appointment", date="2026-11-18", _count=100)
        assert response.status_code == 200
        return len(captured)

    for hour in (8, 9):
        book(start=at(2, hour), actor=scheduler)
    queries_for_day()  # a client's first call also loads her permissions and notes the token's use
    few = queries_for_day()
    for hour in range(10, 16):
        for minute in (0, 45):
            if (hour, minute) != (15, 45):
                book(start=at(2, hour, minute), actor=scheduler, patient=PatientFactory())
    assert fhir(client, "GET", "Appointment", date="2026-11-18").body["total"] > 10
    assert queries_for_day() == few


def test_a_search_over_the_week_daylight_saving_time_ends_gives_each_time_its_own_offset(client, scheduler):
    """New York leaves daylight saving time at 02:00 on Sunday 1 November 2026."""
    small_department(rooms=1)
    zone = clinic_zone()
    with time_machine.travel(datetime(2026, 10, 26, 8, tzinfo=zone), tick=False):
        before = book(start=datetime.combine(datetime(2026, 10, 30).date(), time(9), tzinfo=zone), actor=scheduler)
        after = book(start=datetime.combine(datetime(2026, 11, 2).date(), time(9), tzinfo=zone), actor=scheduler)
        bundle = fhir(client, "GET", "Appointment", date=["ge2026-10-29", "lt2026-11-05"]).body
        free = fhir(
            client,
            "GET",
            "Slot",
            schedule="Schedule/room-" + str(before.room_id),
            start=["ge2026-10-30", "lt2026-11-03"],
        ).body
    starts = [e["resource"]["start"] for e in bundle["entry"]]
    assert starts == ["2026-10-30T09:00:00-04:00", "2026-11-02T09:00:00-05:00"]
    assert [e["resource"]["end"] for e in bundle["entry"]] == ["2026-10-30T09:45:00-04:00", "2026-11-02T09:45:00-05:00"]
    # Same wall clock, instants 24 h + 1 h of the weekend apart.
    assert after.start.timestamp() - before.start.timestamp() == timedelta(days=3, hours=1).total_seconds()
    free_starts = {e["resource"]["start"] for e in free["entry"] if e["resource"]["status"] == "free"}
    assert "2026-10-30T08:00:00-04:00" in free_starts
    assert "2026-11-02T08:00:00-05:00" in free_starts
    assert not any(s.startswith(("2026-10-31", "2026-11-01")) for s in free_starts)  # the weekend


def test_last_updated_finds_what_changed_since_the_last_poll(client, week, scheduler, clock):
    clock.shift(timedelta(hours=1))
    since = "gt2026-11-16T08:30:00-05:00"
    assert ids(fhir(client, "GET", "Appointment", _lastUpdated=since)) == []
    cancel_appointment(appointment_id=week["fri10"].pk, actor=scheduler, reason_code="other", note="Moved away")
    changed = fhir(client, "GET", "Appointment", _lastUpdated=since)
    assert ids(changed) == [week["fri10"].pk]
    assert changed.body["entry"][0]["resource"]["status"] == "cancelled"


def test_every_patient_shown_is_in_the_read_audit(client, week, scheduler):
    from security.models import AccessLogEntry

    fhir(client, "GET", "Appointment", date="2026-11-18")
    fhir(client, "GET", f"Patient/{week['fri10'].patient_id}")
    audited = list(AccessLogEntry.objects.filter(user=scheduler).values_list("patient_id", "what"))
    assert sorted(audited) == sorted(
        [(week["wed9"].patient_id, "api"), (week["wed11"].patient_id, "api"), (week["fri10"].patient_id, "api")]
    )

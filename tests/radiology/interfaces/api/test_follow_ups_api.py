"""The JSON API shows tracked follow-ups: on the appointment (each kind, due_at, state and its
escalation steps) and as a list (?state=open&overdue=true), in a fixed number of queries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from radiology.services import follow_ups
from tests.factories import ReportFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
SIGNED = datetime(2026, 2, 16, 14, 0, tzinfo=NY)


def signed(recommendation="ultrasound"):
    report = ReportFactory(final=True, signed_at=SIGNED, recommendation=recommendation)
    follow_ups.on_report_final(report=report, now=SIGNED)
    return report


def test_the_appointment_carries_its_follow_ups_with_their_escalation_steps(api):
    report = signed()

    with time_machine.travel(SIGNED + timedelta(days=1), tick=False):
        body = api.get(f"/api/v1/appointments/{report.appointment_id}").json()

    [follow_up] = body["follow_ups"]
    assert (follow_up["kind"], follow_up["state"], follow_up["overdue"]) == ("ultrasound", "open", False)
    assert follow_up["due_at"] == "2026-03-16T14:00:00-04:00"
    assert [(s["kind"], s["due_at"], s["status"]) for s in follow_up["escalation"]] == [
        ("call_task", "2026-03-23T09:00:00-04:00", "planned"),
        ("patient_letter", "2026-04-06T10:00:00-04:00", "planned"),
        ("referrer_notice", "2026-04-06T10:00:00-04:00", "planned"),
    ]


def test_the_list_of_open_overdue_follow_ups_answers_in_a_fixed_number_of_queries(api):
    first = signed()
    later = datetime(2026, 3, 20, 12, 0, tzinfo=NY)

    def overdue():
        with time_machine.travel(later, tick=False), CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/follow-ups?state=open&overdue=true")
        assert response.status_code == 200
        return response.json()["follow_ups"], len(queries)

    # Each count is of a second call: the first after new staff (signed() makes them) also
    # reloads her permissions, whose counter any change of anyone's role moves.
    overdue()
    rows, one = overdue()
    signed("biopsy")
    signed("surgical_consultation")
    overdue()
    more, three = overdue()

    assert [r["appointment"] for r in rows] == [first.appointment_id]
    assert len(more) == 3
    assert three == one


def test_a_bad_state_is_refused_with_the_choices(api):
    response = api.get("/api/v1/follow-ups?state=lost")

    assert response.status_code == 400
    assert "state" in response.json()["fields"]

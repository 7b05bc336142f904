"""The patient loop's lists at the department's age (issue #20): 20,000 past exams over two
years, each reported and its letter sent, a fifth with a tracked follow-up (most done, some
open, some lost after every escalation step). Against the same pages asked for an empty list
over the same history, samples interleaved; and the query count of each, which must not grow
with the history or with the rows listed (counted at 20,000 exams and again after 20,000 more).

Pages: the manager's lost-to-follow-up list and dashboard (its loop figures), the letters
list, and the API's `/api/v1/follow-ups?state=open&overdue=true` and `/api/v1/letters?status=overdue`.
Baselines: the dashboard for a week with no exams, `follow-ups?state=closed&overdue=true` and
`letters?status=soon` (both empty by construction), and a trivial login-protected view.
"""

import os
import statistics
from datetime import datetime, time, timedelta

from _django import bench_database, count_queries, sized, summary, timed
from django.conf import settings
from django.test import Client
from django.utils import timezone

from scheduling.clinic_time import clinic_zone, local_today

EXAMS = int(os.environ.get("BENCH_LOOP_EXAMS", sized("20000", "100")))
WITH_FOLLOW_UP = 5  # one exam in five
LOST, OPEN_OVERDUE, LETTERS_DUE = 60, 60, 40


def build(*, first: int, count: int, today, staff):
    """`count` past exams numbered from `first`: completed, reported (final), letter sent."""
    from procedures.models import Procedure
    from radiology.models import Appointment, FollowUp, LoopStep, Order, Patient, Report, ResultLetter

    zone = clinic_zone()
    procedure = Procedure.objects.get(slug="galactogram")
    room, radiologist, tech = staff
    now = timezone.now()
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"L{n:07d}", given_name="P", family_name=str(n), birth_date="1970-01-01", phone="+12025550100")
        for n in range(first, first + count)
    )
    orders = Order.objects.bulk_create(
        Order(
            patient=patients[i],
            procedure=procedure,
            accession_number=f"LOOP{first + i:08d}",
            study_instance_uid=f"2.25.{first + i + 1}",
            side=Order.Side.LEFT,
            indication=Order.Indication.SPONTANEOUS_SINGLE_DUCT,
            received_at=now,
            status=Order.Status.COMPLETED,
        )
        for i in range(count)
    )

    def start_of(i):  # spread over two years back, 07:00 onwards, four rooms' worth a day
        day = today - timedelta(days=1 + (first + i) % 730)
        return datetime.combine(day, time(7), tzinfo=zone) + timedelta(minutes=10 * ((first + i) // 730 % 60))

    appointments = Appointment.objects.bulk_create(
        Appointment(
            patient=patients[i],
            order=orders[i],
            procedure=procedure,
            start=start_of(i),
            end=start_of(i) + timedelta(minutes=30),
            duration_minutes=30,
            room=room,
            radiologist=radiologist,
            technologist=tech,
            status="completed",
            started_at=start_of(i),
            performed_at=start_of(i) + timedelta(minutes=25),
            completed_at=start_of(i) + timedelta(minutes=40),
        )
        for i in range(count)
    )
    reports = Report.objects.bulk_create(
        Report(
            appointment=a,
            status=Report.Status.FINAL,
            findings="Single duct opacified.",
            impression="Normal ductogram." if i % WITH_FOLLOW_UP else "Filling defect.",
            assessment="1" if i % WITH_FOLLOW_UP else "4",
            recommendation="routine" if i % WITH_FOLLOW_UP else "ultrasound",
            radiologist=radiologist,
            written_by=radiologist.user,
            written_at=a.start + timedelta(hours=2),
            signed_by=radiologist,
            signed_at=a.start + timedelta(hours=3),
        )
        for i, a in enumerate(appointments)
    )
    fresh = first == 0  # the first batch carries the rows the lists show
    ResultLetter.objects.bulk_create(
        ResultLetter(
            report=r,
            patient_id=r.appointment.patient_id,
            due_at=r.signed_at + timedelta(days=30),
            created_at=r.signed_at,
            **(
                {}
                if fresh and i < LETTERS_DUE
                else {"status": "sent", "channel": "link", "sent_at": r.signed_at + timedelta(days=1)}
            ),
        )
        for i, r in enumerate(reports)
    )
    follow_ups, lost_or_open = [], 0
    for i, r in enumerate(reports):
        if i % WITH_FOLLOW_UP:
            continue
        due = r.signed_at + timedelta(weeks=4)
        kept_open = fresh and lost_or_open < LOST + OPEN_OVERDUE
        lost_or_open += kept_open
        follow_ups.append(
            FollowUp(
                appointment=r.appointment,
                report=r,
                kind="ultrasound",
                due_at=due,
                created_at=r.signed_at,
                **({} if kept_open else {"state": "done", "result_note": "Ultrasound normal", "done_at": due}),
            )
        )
    follow_ups = FollowUp.objects.bulk_create(follow_ups)
    open_ones = [f for f in follow_ups if f.state == "open"]
    steps = []
    for n, follow_up in enumerate(open_ones):
        for offset, kind in ((7, "call_task"), (21, "patient_letter"), (21, "referrer_notice")):
            reached = n < LOST or kind == "call_task"  # the lost ones have had every step
            steps.append(
                LoopStep(
                    follow_up=follow_up,
                    kind=kind,
                    due_at=follow_up.due_at + timedelta(days=offset),
                    status="reached" if reached else "planned",
                    reached_at=follow_up.due_at + timedelta(days=offset) if reached else None,
                    handled_at=follow_up.due_at + timedelta(days=offset + 1) if reached else None,
                )
            )
    LoopStep.objects.bulk_create(steps)


def main():
    settings.ROOT_URLCONF = "baseline_urls"
    settings.ALLOWED_HOSTS = ["*"]
    today = local_today()
    with bench_database("gal_bench_loops"):
        from radiology.services.department import ensure_room, ensure_staff_member

        room = ensure_room(name="Mammo 1")
        radiologist = ensure_staff_member(
            username="rad", role="radiologist", first_name="R", last_name="R", password="x"
        )
        tech = ensure_staff_member(username="tech", role="technologist", first_name="T", last_name="T", password="x")
        manager = ensure_staff_member(username="boss", role="manager", first_name="M", last_name="M", password="x")
        build(first=0, count=EXAMS, today=today, staff=(room, radiologist, tech))
        client = Client()
        client.force_login(manager.user)
        empty_week = (today + timedelta(days=30)).isoformat(), (today + timedelta(days=36)).isoformat()
        last_year = (today - timedelta(days=365)).isoformat(), today.isoformat()
        pages = {
            "lost to follow-up": "/dashboard/lost-to-follow-up/",
            "dashboard, the last year": f"/dashboard/?start={last_year[0]}&end={last_year[1]}",
            "dashboard, an empty week": f"/dashboard/?start={empty_week[0]}&end={empty_week[1]}",
            "letters list": "/letters/",
            "API follow-ups open+overdue": "/api/v1/follow-ups?state=open&overdue=true",
            "API follow-ups, an empty list": "/api/v1/follow-ups?state=closed&overdue=true",
            "API letters overdue": "/api/v1/letters?status=overdue",
            "API letters, an empty list": "/api/v1/letters?status=soon",
            "trivial view": "/bench/ping/",
        }
        for name, path in pages.items():
            response = client.get(path)
            assert response.status_code == 200, (name, path, response.status_code)
        listed = {
            "lost": client.get(pages["lost to follow-up"]).content.decode().count("<tr data-follow-up="),
            "open overdue": len(client.get(pages["API follow-ups open+overdue"]).json()["follow_ups"]),
            "empty": len(client.get(pages["API follow-ups, an empty list"]).json()["follow_ups"]),
            "letters overdue": len(client.get(pages["API letters overdue"]).json()["letters"]),
        }
        queries = {name: count_queries(lambda p=path: client.get(p)) for name, path in pages.items()}
        samples = {name: [] for name in pages}
        for _ in range(sized(25, 1)):  # round robin: each ratio compares neighbours on a drifting machine
            for name, path in pages.items():
                samples[name] += timed(lambda p=path: client.get(p), 1)
        # Twice the history: the query counts must not move.
        build(first=EXAMS, count=EXAMS, today=today, staff=(room, radiologist, tech))
        for path in pages.values():  # a session untouched for a minute is refreshed once: not the page's cost
            client.get(path)
        queries_after = {name: count_queries(lambda p=path: client.get(p)) for name, path in pages.items()}

    median = {name: statistics.median(s) for name, s in samples.items()}
    print(
        f"history: {EXAMS:,} past exams over two years, final reports, letters; {EXAMS // WITH_FOLLOW_UP:,} follow-ups"
    )
    print(f"rows listed: {listed}")
    for name in pages:
        print(
            f"{name}: {summary(samples[name])}; {queries[name]} queries ({queries_after[name]} at {2 * EXAMS:,} exams)"
        )
    for full, empty in (
        ("dashboard, the last year", "dashboard, an empty week"),
        ("API follow-ups open+overdue", "API follow-ups, an empty list"),
        ("API letters overdue", "API letters, an empty list"),
        ("lost to follow-up", "trivial view"),
        ("letters list", "trivial view"),
    ):
        print(f"{full} / {empty}: {median[full] / median[empty]:.2f}x")
    moved = [name for name in pages if queries[name] != queries_after[name]]
    print("query counts constant as the history doubles" if not moved else f"QUERY COUNTS GREW: {moved}")
    return 1 if moved else 0


if __name__ == "__main__":
    raise SystemExit(main())

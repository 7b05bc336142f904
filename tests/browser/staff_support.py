"""Shared set-up for the staff pages' browser tests: a department with a day in full flow,
axe-core's verdict on a page, and where the screenshots for the docs go."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from scheduling.clinic_time import clinic_zone
from tests import node_tools
from tests.factories import (
    AppointmentFactory,
    FollowUpPlanFactory,
    MessageFactory,
    PatientFactory,
    ProcedureOutcomeFactory,
    ReadinessResponseFactory,
    StaffMemberFactory,
    small_department,
)

SERIOUS = {"serious", "critical"}
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(node_tools.require(node_tools.AXE)))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)
        }))"""
    )
    return [v for v in found if v["impact"] in SERIOUS]


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def now_local():
    return timezone.now().astimezone(clinic_zone())


def busy_day() -> dict:
    """Staff with known logins and today's list in every flow state, around the real time
    (clamped to 09:00–16:00 so the day is always in working hours)."""
    department = small_department(rooms=2, radiologists=2, technologists=2)
    staff = {
        "scheduler": StaffMemberFactory(scheduler=True, user__username="sched", user__first_name="Sam"),
        "technologist": StaffMemberFactory(role="technologist", user__username="tech", user__first_name="Terry"),
        "radiologist": department.radiologists[0],
        "manager": StaffMemberFactory(manager=True, user__username="boss", user__first_name="Morgan"),
    }
    department.radiologists[0].user.username = "rad"
    department.radiologists[0].user.save()
    zone = clinic_zone()
    local = now_local()
    anchor = min(max(local, local.replace(hour=11, minute=0)), local.replace(hour=15, minute=0))
    anchor = anchor.replace(second=0, microsecond=0, minute=anchor.minute - anchor.minute % 5)
    plan = [  # minutes from the anchor, room, status
        (-150, 0, "completed"),
        (-90, 0, "follow_up"),
        (-40, 0, "in_procedure"),
        (20, 0, "reminded"),
        (-120, 1, "no_show"),
        (-60, 1, "completed"),
        (-25, 1, "reminded"),  # late
        (5, 1, "checked_in"),  # waiting
        (60, 1, "prep_sent"),
    ]
    patients = [
        PatientFactory(family_name=name, given_name=given, contrast_allergy=name == "Hernández")
        for name, given in [
            ("Hernández", "Ana"),
            ("Okonkwo-Whitfield", "Grace"),
            ("Nguyen", "Linh"),
            ("Bergström", "Elin"),
            ("Papadopoulou", "Maria"),
            ("Smith", "Jo"),
            ("Al-Rashid", "Noor"),
            ("Kowalczyk", "Zofia"),
            ("Fitzgerald", "Kate"),
        ]
    ]
    appointments = []
    for n, (minutes, room, status) in enumerate(plan):
        start = anchor + timedelta(minutes=minutes)
        extra = {}
        if status in ("checked_in", "in_procedure", "completed", "follow_up"):
            extra["checked_in_at"] = min(start - timedelta(minutes=10), timezone.now())
        if status in ("in_procedure", "completed", "follow_up"):
            extra["started_at"] = start
        if status in ("completed", "follow_up"):
            extra["completed_at"] = start + timedelta(minutes=35)
        a = AppointmentFactory(
            patient=patients[n],
            room=department.rooms[room],
            radiologist=department.radiologists[room],
            technologist=department.technologists[room],
            start=start,
            duration_minutes=30 if n % 2 else 45,
            status=status,
            patient_confirmed_at=timezone.now() if n % 3 == 0 else None,
            **extra,
        )
        appointments.append(a)
        MessageFactory(subject=a.holder, kind="prep", status="sent", sent_at=start - timedelta(days=7))
    ProcedureOutcomeFactory(appointment=appointments[0])
    FollowUpPlanFactory(appointment=appointments[1], scheduled_for=anchor + timedelta(days=10))
    ReadinessResponseFactory(appointment=appointments[3], contrast_allergy=None)
    ReadinessResponseFactory(appointment=appointments[8], discharge_present=False)
    MessageFactory(subject=appointments[8].holder, kind="no_expression", status="failed", last_error="Bounced")
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(10), tzinfo=zone)
    AppointmentFactory(patient=patients[0], start=tomorrow + timedelta(days=30), room=department.rooms[0])
    # Outside 11:00–15:00 the day is placed around the clamp, not the clock: the late one is
    # then not late yet (before 11:00) and tests that need the clock say so with `live`.
    live = abs((anchor - local).total_seconds()) < 600
    return {"department": department, "staff": staff, "appointments": appointments, "patients": patients, "live": live}

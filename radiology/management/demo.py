"""The demo department: 2 rooms, 3 radiologists, 4 technologists/nurses, a scheduler, a
manager, 40 patients and two weeks of galactograms in a mix of states. Idempotent."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import Message
from procedures.models import Procedure
from procedures.reasons import CancelReason
from radiology.models import Appointment, Patient, StaffMember
from radiology.services import orders, workflow
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment, mark_no_show
from radiology.services.department import ensure_room, ensure_staff_member
from radiology.services.portal import confirm_attendance, record_readiness, request_another_time
from radiology.services.transitions import perform_transition
from scheduling.clinic_time import clinic_zone

DEMO_MRN_PREFIX = "DEMO"
R = StaffMember.Role
STAFF = [
    ("scheduler", R.SCHEDULER, "Sam", "Reyes"),
    ("manager", R.MANAGER, "Morgan", "Lee"),
    ("radiologist", R.RADIOLOGIST, "Dana", "Okafor"),
    ("radiologist2", R.RADIOLOGIST, "Priya", "Raman"),
    ("radiologist3", R.RADIOLOGIST, "Elena", "Vasquez"),
    ("technologist", R.TECHNOLOGIST, "Terry", "Nguyen"),
    ("technologist2", R.TECHNOLOGIST, "Alex", "Kim"),
    ("nurse", R.NURSE, "Nora", "Fischer"),
    ("nurse2", R.NURSE, "Grace", "Mensah"),
]
GIVEN = "Ana Beth Carla Diane Ella Fatima Gloria Hana Iris Julia Kate Lena Maria Nadia Olga Paula Rosa Sara Tina Uma"
FAMILY = "Adams Brown Chen Diaz Evans Garcia Harris Ito Jones Khan Lopez Miller Novak Ortiz Patel Quinn Rossi Smith"
# (days from today, local hour:minute, room index, final state)
PAST_STATES = [
    "completed",
    "follow_up",
    "follow_up",
    "no_show",
    "cancelled",
    "incomplete",
    "completed",
    "did_not_proceed",
]
FUTURE_STATES = ["booked", "prep_sent", "reminded", "reminded", "booked", "cancelled"]
SLOTS = [
    (time(8, 30), 0),
    (time(9, 30), 1),
    (time(10, 30), 0),
    (time(13, 0), 1),
    (time(14, 0), 0),
    (time(15, 0), 1),
]


def build_demo_department(*, password: str, log=print) -> dict[str, int]:
    log("Rooms and staff…")
    rooms = [
        ensure_room(name="Mammo 1", location="Breast Imaging, Level 2, Room 2.14"),
        ensure_room(name="Mammo 2", location="Breast Imaging, Level 2, Room 2.16"),
    ]
    staff = {}
    for username, role, first, last in STAFF:
        hours = [(d, time(8), time(17)) for d in (1, 3)] if username == "radiologist3" else None
        staff[username] = ensure_staff_member(
            username=username, role=role, first_name=first, last_name=last, password=password, hours=hours
        )
    log("Patients…")
    patients = _ensure_patients(40)
    if Appointment.objects.filter(patient__mrn__startswith=DEMO_MRN_PREFIX).exists():
        log("Demo appointments already present; nothing more to do.")
    else:
        _build_appointments(rooms, staff, patients, log)
    return {
        "rooms": len(rooms),
        "staff": StaffMember.objects.count(),
        "patients": Patient.objects.count(),
        "appointments": Appointment.objects.count(),
    }


def _ensure_patients(count: int) -> list[Patient]:
    rng = random.Random(20261124)  # noqa: S311 - demo data, not security
    given, family = GIVEN.split(), FAMILY.split()
    patients = []
    for n in range(count):
        mrn = f"{DEMO_MRN_PREFIX}{n + 1:04d}"
        patient, _ = Patient.objects.get_or_create(
            mrn=mrn,
            defaults={
                "given_name": given[n % len(given)],
                "family_name": family[(n * 7) % len(family)],
                "birth_date": date(1950 + rng.randint(0, 50), rng.randint(1, 12), rng.randint(1, 28)),
                "phone": f"+1202555{1000 + n:04d}",
                "email": f"patient{n + 1}@example.org",
                "preferred_channel": "sms" if n % 3 else "email",
                "language": "es" if n % 10 == 7 else "en",
                "contrast_allergy": n % 9 == 4,
                "contrast_allergy_note": "Hives after CT contrast (2019)" if n % 9 == 4 else "",
                # A few needs for the day list's badges: an interpreter (booked), a wheelchair.
                "interpreter_needed": n % 11 == 3,
                "interpreter_language": "Portuguese" if n % 11 == 3 else "",
                "interpreter_booked": n % 11 == 3,
                "wheelchair": n % 13 == 5,
            },
        )
        patients.append(patient)
    return patients


# Today's list follows the clock: (minutes from the demo's "now", minutes long, room index,
# state). Earlier starts are done (or did not proceed, or no-show); one is in the room now;
# one is late (not checked in 25 minutes after her start); one has arrived and waits; the
# rest are still to come. Nothing is completed later than the real time.
TODAY_PLAN = [
    (-210, 45, 0, "follow_up"),
    (-150, 45, 0, "completed"),
    (-90, 30, 0, "incomplete"),
    (-35, 45, 0, "in_procedure"),
    (20, 30, 0, "reminded"),
    (60, 45, 0, "prep_sent"),
    (120, 30, 0, "booked"),
    (-180, 30, 1, "completed"),
    (-120, 30, 1, "no_show"),
    (-70, 30, 1, "performed"),
    (-25, 30, 1, "reminded"),
    (5, 30, 1, "checked_in"),
    (45, 45, 1, "reminded"),
    (105, 30, 1, "booked"),
]
DAY_OPENS, DAY_CLOSES = time(8), time(17)  # the demo staff's hours
LATEST_ANCHOR = time(16, 30)


def _today_plan(now: datetime, zone) -> list[tuple[datetime, int, int, str]]:
    """TODAY_PLAN placed around now (after 16:30, around 16:30: the board as it stood then),
    keeping only what fits the staff's hours."""
    local = now.astimezone(zone)
    anchor = min(local, datetime.combine(local.date(), LATEST_ANCHOR, tzinfo=zone))
    anchor = anchor.replace(minute=anchor.minute - anchor.minute % 5, second=0, microsecond=0)
    opens = datetime.combine(local.date(), DAY_OPENS, tzinfo=zone)
    closes = datetime.combine(local.date(), DAY_CLOSES, tzinfo=zone)
    plan = []
    for minutes, duration, room_index, state in TODAY_PLAN:
        start = anchor + timedelta(minutes=minutes)
        if opens <= start and start + timedelta(minutes=duration) <= closes:
            plan.append((start, duration, room_index, state))
    return plan


def _build_appointments(rooms, staff, patients, log) -> None:
    procedure = Procedure.objects.get(slug="galactogram")
    zone = clinic_zone()
    now = timezone.now()
    today = now.astimezone(zone).date()
    radiologists = [staff["radiologist"], staff["radiologist2"]]
    assistants = [staff["technologist"], staff["nurse"], staff["technologist2"], staff["nurse2"]]
    patient_iter = iter(patients * 2)
    count = 0
    for offset in range(-7, 8):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        if offset == 0:
            plan = _today_plan(now, zone)
        else:
            states = PAST_STATES if offset < 0 else FUTURE_STATES
            plan = [
                (
                    datetime.combine(day, slot, tzinfo=zone),
                    45 if index % 2 == 0 else 30,
                    room_index,
                    states[(index + offset) % len(states)],
                )
                for index, (slot, room_index) in enumerate(SLOTS[: 3 + (offset % 3)])
            ]
        for index, (start, duration, room_index, state) in enumerate(plan):
            # Rooms overlap today: each room keeps its own pair of technologists/nurses.
            assistant = assistants[room_index + 2 * (index % 2)] if offset == 0 else None
            appointment = book_appointment(
                patient=next(patient_iter),
                procedure=procedure,
                start=start,
                duration_minutes=duration,
                actor=staff["scheduler"].user,
                room=rooms[room_index],
                radiologist=radiologists[room_index],
                technologist=assistant or assistants[(index + offset) % len(assistants)],
                now=start - timedelta(days=7),
                side=("left", "right")[count % 2],
                indication=DEMO_INDICATIONS[count % len(DEMO_INDICATIONS)],
                # The second time round, a patient may still have her first one ahead.
                repeat_booking_reason="The other breast" if count >= len(patients) else "",
            )
            if offset >= 0:
                _patient_answers(appointment, index + offset, moment=min(start - timedelta(days=1), now))
            with transaction.atomic():
                _walk_to(appointment, state, staff)
                _settle_outbox(appointment, PATHS[state])
            count += 1
        log(f"  {day:%a %d %b}: {count} appointments so far")
    _waiting_orders(patients[-4:], procedure, today)


DEMO_INDICATIONS = ["spontaneous_single_duct", "bloody", "suspected_papilloma", "persistent_not_breastfeeding"]


def _waiting_orders(patients, procedure, today) -> None:
    """A few referrals in the schedulers' work queue, as the EHR would send them."""
    for n, patient in enumerate(patients):
        prior = n % 2 == 0
        orders.create_order(
            actor=None,
            patient=patient,
            procedure=procedure,
            received_at=timezone.now() - timedelta(days=2 * n + 1),
            placer_system="DEMO-EHR",
            placer_order_number=f"DEMO{n + 1:04d}",
            referring_physician_family_name="Okafor",
            referring_physician_given_name="Ada",
            side=("right", "left")[n % 2],
            indication=DEMO_INDICATIONS[n % len(DEMO_INDICATIONS)],
            priority="urgent" if n == 3 else "routine",
            prior_imaging_kind="mammogram" if prior else "none",
            prior_imaging_date=today - timedelta(days=30 + 60 * n) if prior else None,
        )


def _patient_answers(appointment: Appointment, n: int, *, moment) -> None:
    """Some patients have confirmed, answered the readiness questions or asked to move."""
    if n % 3 == 0:
        confirm_attendance(appointment_id=appointment.pk, now=moment)
    if n % 4 == 1:
        record_readiness(
            appointment_id=appointment.pk,
            discharge_present=True,
            expressed_last_48h=False,
            contrast_allergy=False,
            now=moment,
        )
    elif n % 7 == 3:
        record_readiness(
            appointment_id=appointment.pk,
            discharge_present=False,
            expressed_last_48h=True,
            contrast_allergy=None,
            now=moment,
        )
    if n % 11 == 5:
        request_another_time(appointment_id=appointment.pk, now=moment)


def _settle_outbox(appointment: Appointment, path: list[str]) -> None:
    """The demo's history says some messages already went out; make the outbox agree, so
    the demo's worker does not send weeks of stale reminders when it starts. Messages still
    due in the future (and prep for appointments booked just now) go out for real."""
    now = timezone.now()
    rows = Message.objects.filter(subject=appointment.holder, status=Message.Status.SCHEDULED, due_at__lte=now)
    if appointment.start > now:
        kinds = {"send_prep": "prep", "send_no_expression_reminder": "no_expression"}
        rows = rows.filter(kind__in=[kinds[a] for a in path if a in kinds])
    rows.update(status=Message.Status.SENT, sent_at=F("due_at"), provider_id="demo")


CANCEL_REASONS = [
    (CancelReason.PATIENT_REQUEST, "travelling"),
    (CancelReason.PATIENT_UNWELL, ""),
    (CancelReason.DISCHARGE_STOPPED, ""),
    (CancelReason.REFERRER_CANCELLED, ""),
]

PATHS = {
    "booked": [],
    "prep_sent": ["send_prep"],
    "reminded": ["send_prep", "send_no_expression_reminder"],
    "checked_in": ["send_prep", "send_no_expression_reminder", "check_in"],
    "in_procedure": ["send_prep", "send_no_expression_reminder", "check_in", "start"],
    "performed": ["send_prep", "send_no_expression_reminder", "check_in", "start", "exam_done"],
    "completed": ["send_prep", "send_no_expression_reminder", "check_in", "start", "exam_done", "complete"],
    "follow_up": [
        "send_prep",
        "send_no_expression_reminder",
        "check_in",
        "start",
        "exam_done",
        "complete",
        "arrange_follow_up",
    ],
    "incomplete": ["send_prep", "send_no_expression_reminder", "check_in", "start", "abort"],
    "did_not_proceed": ["send_prep", "send_no_expression_reminder", "check_in", "did_not_proceed"],
    "cancelled": ["send_prep", "cancel"],
    "no_show": ["send_prep", "send_no_expression_reminder", "no_show"],
}


def _walk_to(appointment: Appointment, state: str, staff) -> None:
    """Move a demo appointment to a state through the same services the pages use, at
    plausible times: checklist, performers, outcome, follow-up plan, reasons."""
    start, n = appointment.start, appointment.pk
    tech, radiologist = appointment.technologist, appointment.radiologist
    now = timezone.now()

    def at(moment):
        return min(moment, now)

    for action in PATHS[state]:
        if action == "send_prep":  # delivered when booked (a week ahead)
            perform_transition(appointment_id=n, action=action, actor=None, now=at(start - timedelta(days=7)))
        elif action == "send_no_expression_reminder":
            perform_transition(appointment_id=n, action=action, actor=None, now=at(start - timedelta(hours=48)))
        elif action == "check_in":
            workflow.check_in_patient(
                appointment_id=n,
                actor=tech.user,
                checklist=workflow.Checklist(
                    True,
                    True,
                    appointment.patient.contrast_allergy,
                    True,
                    True,
                    True,
                    True,
                    pregnancy="not_pregnant",
                    breastfeeding=False,
                ),
                now=at(start - timedelta(minutes=10)),
            )
        elif action == "start":
            workflow.start_procedure(
                appointment_id=n, actor=tech.user, radiologist=radiologist, technologist=tech, now=at(start)
            )
        elif action == "exam_done":
            workflow.record_exam_done(
                appointment_id=n,
                actor=tech.user,
                now=at(start + timedelta(minutes=appointment.duration_minutes - 8 + n % 9)),
            )
        elif action == "complete":
            workflow.complete_procedure(
                appointment_id=n,
                actor=radiologist.user,
                ducts="multiple" if n % 4 == 0 else "single",
                contrast_volume_ml=Decimal("1.5") if n % 4 else Decimal("2.5"),
                complications=["pain"] if n % 5 == 0 else ["none"],
                now=at(start + timedelta(minutes=appointment.duration_minutes - 5 + n % 9)),
            )
        elif action == "arrange_follow_up":
            workflow.arrange_follow_up(
                appointment_id=n,
                actor=radiologist.user,
                kind="results_consultation" if n % 3 else "none",
                reason="" if n % 3 else "Normal ductogram; routine screening",
                scheduled_for=start + timedelta(days=10) if n % 3 else None,
                now=at(start + timedelta(hours=3)),
            )
        elif action == "abort":
            workflow.abort_procedure(
                appointment_id=n,
                actor=tech.user,
                reason_code="could_not_cannulate",
                now=at(start + timedelta(minutes=5)),
            )
        elif action == "did_not_proceed":
            workflow.record_not_proceeded(
                appointment_id=n, actor=tech.user, reason_code="expressed", now=at(start - timedelta(minutes=5))
            )
        elif action == "cancel":
            cancel_appointment(
                appointment_id=n,
                actor=staff["scheduler"].user,
                reason_code=CANCEL_REASONS[n % len(CANCEL_REASONS)][0],
                note=CANCEL_REASONS[n % len(CANCEL_REASONS)][1],
                now=at(start - timedelta(days=3)),
            )
        elif action == "no_show":
            mark_no_show(appointment_id=n, actor=staff["scheduler"].user, now=at(start + timedelta(minutes=30)))

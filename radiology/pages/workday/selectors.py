"""What the day list, the radiologist's list and the dashboard read. Fixed query counts."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Q, Subquery

from procedures.models import Procedure
from radiology.models import CANCELLABLE, Appointment, AppointmentTransition, ReadinessResponse, Room, StaffMember
from radiology.selectors import APPOINTMENT_RELATED, overlaps_time_off
from scheduling.clinic_time import clinic_zone, local_day_bounds

User = get_user_model()

DAY_LIST_FIELDS = (
    "start",
    "end",
    "duration_minutes",
    "status",
    "version",
    "patient_confirmed_at",
    "checked_in_at",
    "started_at",
    "performed_at",
    "procedure__no_show_grace_minutes",
    "patient__mrn",
    "patient__given_name",
    "patient__family_name",
    "patient__birth_date",
    "patient__contrast_allergy",
    "patient__interpreter_needed",
    "patient__interpreter_language",
    "patient__interpreter_booked",
    "patient__wheelchair",
    "patient__hearing_impaired",
    "patient__visually_impaired",
    "patient__access_note",
    # The order's facts for the side, indication and readiness flags (radiology.presentation.order_display).
    "order__side",
    "order__indication",
    "order__indication_other",
    "order__priority",
    "order__prior_imaging_kind",
    "order__prior_imaging_date",
    "order__pregnancy_status",
    "order__lactating",
)
# Rooms, people and the procedure are a handful shared by every row: read as columns and
# made once each (see _shared), not once per row as select_related would. A staff member
# also carries her user's name fields.
SHARED = {
    "room": (Room, ("name",)),
    "procedure": (Procedure, ("no_show_grace_minutes",)),
    "radiologist": (StaffMember, ("user_id",)),
    "technologist": (StaffMember, ("user_id",)),
}
STAFF_USER_FIELDS = ("first_name", "last_name", "username")
SENT_ACTIONS = ("send_prep", "send_no_expression_reminder", "step_back_for_reschedule", "reschedule")


@dataclass(frozen=True)
class Answers:
    """The patient's latest readiness answers, as the list shows them."""

    answered_at: object
    discharge_present: bool | None
    expressed_last_48h: bool | None
    contrast_allergy: bool | None


@dataclass
class DayRow:
    appointment: Appointment
    age: int | None  # None: her record lacks a birth date (flagged for the schedulers)
    prep_sent: bool
    no_expression_sent: bool
    readiness: Answers | None
    time: str = ""
    actions: list = None
    # The flow board (radiology/workday/flow_board.py fills these in).
    flow: object = None
    late: bool = False
    needs_new_time: bool = False  # its room or a person is off then (entered after booking)
    since: object = None  # when the current wait or procedure began
    outcome_to_record: bool = False  # performed; the outcome is still to record
    is_next: bool = False
    left: float = 0.0  # timeline position and length, % of the day's window
    width: float = 0.0

    @property
    def confirmed(self) -> bool:
        return self.appointment.patient_confirmed_at is not None

    @property
    def contrast_allergy(self) -> bool:
        answered = self.readiness.contrast_allergy if self.readiness else None
        return self.appointment.patient.contrast_allergy or bool(answered)


def _reminders_sent(transitions) -> tuple[bool, bool]:
    """Prep once sent stays sent; the no-expression reminder counts only if it went out
    after the latest move (a moved appointment needs it again). `transitions` are
    (action, from_status) pairs, oldest first."""
    prep = no_expression = False
    for action, from_status in transitions:
        if action == "send_prep":
            prep = True
        elif action == "send_no_expression_reminder":
            prep = prep or from_status == "booked"
            no_expression = True
        else:
            no_expression = False
    return prep, no_expression


def _sent_transitions(appointment_ids) -> dict[int, list[tuple[str, str]]]:
    """The message-related steps of each appointment, oldest first, in one query (values,
    not models: the list reads three columns of each)."""
    sent: dict[int, list[tuple[str, str]]] = {}
    rows = (
        AppointmentTransition.objects.filter(appointment_id__in=appointment_ids, action__in=SENT_ACTIONS)
        .order_by("at", "pk")
        .values_list("appointment_id", "action", "from_status")
    )
    for appointment_id, action, from_status in rows:
        sent.setdefault(appointment_id, []).append((action, from_status))
    return sent


ANSWER_FIELDS = ("answered_at", "discharge_present", "expressed_last_48h", "contrast_allergy")


def _latest_answer(field: str):
    latest = ReadinessResponse.objects.filter(appointment=OuterRef("pk")).order_by("-answered_at", "-pk")
    return Subquery(latest.values(field)[:1])


def _answers(appointment) -> Answers | None:
    """The latest answers, or None if she has not answered."""
    if appointment.latest_answered_at is None:
        return None
    return Answers(**{name: getattr(appointment, f"latest_{name}") for name in ANSWER_FIELDS})


def _shared_columns() -> dict:
    columns = {}
    for relation, (model, fields) in SHARED.items():
        columns |= {f"_{relation}_{name}": F(f"{relation}__{name}") for name in fields}
        if model is StaffMember:
            columns |= {f"_{relation}_user_{name}": F(f"{relation}__user__{name}") for name in STAFF_USER_FIELDS}
    return columns


def _from_columns(model, pk, fields, appointment, prefix: str):
    """An instance holding only these fields (the others load on access, never a silent
    default), from the row's `prefix + field` columns. Model.from_db takes a partial row's
    values in the model's field order, whatever order the names are given in: they are put
    in that order here (a first name must not land in the username)."""
    values = {"id": pk, **{name: getattr(appointment, prefix + name) for name in fields}}
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(None, names, [values[name] for name in names])


def _shared(appointment: Appointment, made: dict) -> None:
    """Attach the row's room, procedure and people, each made once per page."""
    for relation, (model, fields) in SHARED.items():
        pk = getattr(appointment, f"{relation}_id")
        instance = made.get((relation, pk))
        if instance is None:
            instance = _from_columns(model, pk, fields, appointment, f"_{relation}_")
            if model is StaffMember:
                instance.user = _from_columns(
                    User, instance.user_id, STAFF_USER_FIELDS, appointment, f"_{relation}_user_"
                )
            made[(relation, pk)] = instance
        setattr(appointment, relation, instance)


def day_rows(*, day: date, room_id=None, radiologist_id=None, mine=None, links=None) -> list[DayRow]:
    start, end = local_day_bounds(day)
    zone = clinic_zone()
    appointments = (
        Appointment.objects.filter(start__gte=start, start__lt=end)
        .select_related("patient", "order")
        # Only what the list shows: the most-read page should not carry catalog text or notes.
        .only(*DAY_LIST_FIELDS, "room_id", "procedure_id", "radiologist_id", "technologist_id")
        .annotate(**_shared_columns())
        # The latest answers ride along as columns: one query fewer than a prefetch, which
        # keeps the minute-by-minute page at ten queries with its ETag check.
        .annotate(**{f"latest_{name}": _latest_answer(name) for name in ANSWER_FIELDS})
        .annotate(time_off=overlaps_time_off())
        .order_by("room__name", "start")
    )
    if room_id:
        appointments = appointments.filter(room_id=room_id)
    if radiologist_id:
        appointments = appointments.filter(radiologist_id=radiologist_id)
    if mine is not None:
        appointments = appointments.filter(Q(radiologist__user=mine) | Q(technologist__user=mine))
    appointments = list(appointments)
    sent = _sent_transitions([a.pk for a in appointments])
    rows, made = [], {}
    for a in appointments:
        _shared(a, made)
        prep, no_expression = _reminders_sent(sent.get(a.pk, ()))
        rows.append(
            DayRow(
                appointment=a,
                age=a.patient.age_on(day),
                # The state says so for the current time of the appointment; the log for later states.
                prep_sent=prep or a.status in ("prep_sent", "reminded"),
                no_expression_sent=no_expression or a.status == "reminded",
                readiness=_answers(a),
                time=a.start.astimezone(zone).strftime("%H:%M"),
                actions=links(a) if links else [],
                needs_new_time=bool(a.time_off) and a.status in CANCELLABLE,
            )
        )
    return rows


def rows_by_room(rows: list[DayRow]) -> list[tuple[str, list[DayRow]]]:
    rooms: dict[str, list[DayRow]] = {}
    for row in rows:
        rooms.setdefault(row.appointment.room.name, []).append(row)
    return list(rooms.items())


def radiologist_lists(*, user, today: date):
    """My appointments (as radiologist, technologist or nurse) today and this week, my
    performed exams whose outcome is to record, and my completed procedures awaiting a
    follow-up decision."""
    week_start = today - timedelta(days=today.weekday())
    start, _ = local_day_bounds(week_start)
    _, end = local_day_bounds(week_start + timedelta(days=6))
    mine = Appointment.objects.filter(Q(radiologist__user=user) | Q(technologist__user=user)).select_related(
        *APPOINTMENT_RELATED
    )
    week = list(mine.filter(start__gte=start, start__lt=end).exclude(status="cancelled").order_by("start"))
    day_start, day_end = local_day_bounds(today)
    awaiting = list(mine.filter(status="completed").order_by("completed_at"))
    to_record = list(mine.filter(status="performed").order_by("performed_at"))
    # Each appointment is listed once: a performed one waits for its outcome, a completed one
    # for its decision, the rest fall under today or the week's other days.
    waiting = {a.pk for a in [*awaiting, *to_record]}
    rest = [a for a in week if a.pk not in waiting]
    return {
        "today": [a for a in rest if day_start <= a.start < day_end],
        "week": [a for a in rest if not day_start <= a.start < day_end],
        "awaiting_follow_up": awaiting,
        "outcome_to_record": to_record,
    }

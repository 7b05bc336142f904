"""Serializers: validate every input, shape every output. No business rules here; the
services decide, these only check that the input is well-formed and that ids exist.

Times go out as ISO 8601 in the clinic's zone with its offset (2026-03-02T09:30:00-05:00)
and come in only with an offset or Z: a naive time is refused, never guessed.
"""

import re
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers
from rest_framework.fields import ProhibitNullCharactersValidator

from notifications.opt_out import opted_out_numbers
from procedures.models import Procedure
from radiology import catalog_cache, rules, selectors, team_cache
from radiology.models import (
    AppointmentStatus,
    AppointmentTransition,
    Assessment,
    Channel,
    CheckInChecklist,
    FollowUpPlan,
    Language,
    Order,
    Patient,
    ProcedureOutcome,
    Recommendation,
    Room,
    StaffMember,
    WaitingListEntry,
)
from radiology.presentation.date_range import OUT_OF_RANGE, in_range
from radiology.selectors import letters as letter_selectors
from radiology.selectors import loops
from radiology.selectors.reports import report_record
from radiology.services import told_table
from radiology.services.action_table import ACTIONS, BODY_FIELDS, NAMED_ACTIONS, offered_actions
from radiology.services.patient_needs import NEEDS_FIELDS
from radiology.services.reports import MAX_FOLLOW_UP_WEEKS
from radiology.services.waiting_list import waiting_entries
from scheduling.clinic_time import clinic_zone

MAX_RANGE_DAYS = 62
MAX_SLOTS = 100


class AwareDateTimeField(serializers.DateTimeField):
    default_error_messages = {
        "naive": (
            "Give the time with its UTC offset, e.g. 2026-03-02T09:30:00-05:00 or 2026-03-02T14:30:00Z; "
            "a time without an offset is ambiguous."
        ),
        "invalid": "Give an ISO 8601 date and time with its UTC offset, e.g. 2026-03-02T09:30:00-05:00.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", clinic_zone())
        super().__init__(**kwargs)

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class FriendlyDateField(serializers.DateField):
    default_error_messages = {
        "invalid": "Give a date as YYYY-MM-DD, e.g. 2026-03-02.",
        "out_of_range": OUT_OF_RANGE,
    }

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not in_range(day):
            self.fail("out_of_range")
        return day


@extend_schema_field({"type": "string", "anyOf": [{"format": "email"}, {"maxLength": 0}]})
class OptionalEmailField(serializers.EmailField):
    """An e-mail address or "" (no address): the schema says both, as the API does."""


def required_text(**kwargs) -> serializers.RegexField:
    """Text that must say something: spaces alone are refused, and the schema says so (pattern)."""
    kwargs.setdefault("error_messages", {})
    kwargs["error_messages"].setdefault("invalid", "Write something here; spaces alone are not enough.")
    return serializers.RegexField(r"\S", **kwargs)


class QuerySerializer(serializers.Serializer):
    """Query parameters: an empty value (?status=) is not the same as leaving the parameter out.
    DRF would quietly drop it; the schema calls it invalid, so the API refuses it with a message."""

    def to_internal_value(self, data):
        blank = [
            name
            for name, field in self.fields.items()
            if name in data and data.get(name) == "" and not getattr(field, "allow_blank", False)
        ]
        if blank:
            raise serializers.ValidationError({name: ["Give a value, or leave the parameter out."] for name in blank})
        return super().to_internal_value(data)


class FriendlyIntegerField(serializers.IntegerField):
    default_error_messages = {
        "invalid": "Give a whole number.",
        "max_value": "At most {max_value}.",
        "min_value": "At least {min_value}.",
    }


SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


@extend_schema_field({"type": "string", "pattern": SLUG_PATTERN, "example": "galactogram"})
class ProcedureField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": "Unknown procedure “{value}”; use its short name, e.g. “galactogram”.",
        "invalid": "Give the procedure's short name, e.g. “galactogram”.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Procedure.objects.filter(active=True), **kwargs)

    def to_internal_value(self, data):
        # A short name is letters, digits and dashes; anything else (a NUL byte, which PostgreSQL
        # refuses to even compare) is not looked up.
        if not isinstance(data, str) or not re.fullmatch(SLUG_PATTERN, data):
            self.fail("invalid")
        # A token request knows the catalog's counter: the process's copy then answers.
        version = token_counter(self.context, "catalog_version")
        if version is None:
            return super().to_internal_value(data)
        procedure = catalog_cache.active_procedure(data, version=version)
        if procedure is None:
            self.fail("does_not_exist", slug_name="slug", value=data)
        return procedure


def token_counter(context: dict, name: str) -> int | None:
    """A change counter the API token's lookup fetched with it (security.tokens), or None when
    the request came without a token (a session): the caller then reads for itself."""
    return getattr(getattr(context.get("request"), "auth", None), name, None)


def unwrapped_id(data):
    """The id of an `{"id": ..., ...}` object (as the slot search returns them), or the data."""
    return data["id"] if isinstance(data, dict) and "id" in data else data


class IdField(serializers.PrimaryKeyRelatedField):
    """An id that must exist; the message names what was looked for. Also takes the
    `{"id": ..., ...}` object the slot search returned, so a client can post a slot back."""

    def to_internal_value(self, data):
        return super().to_internal_value(unwrapped_id(data))

    def __init__(self, *, what: str, **kwargs):
        self.what = what
        super().__init__(**kwargs)
        self.error_messages.update(
            {
                "does_not_exist": f"There is no {what} with id {{pk_value}}.",
                "incorrect_type": f"Give the {what}'s id as a whole number.",
                "required": f"Give the {what}'s id.",
            }
        )


def staff_field(*, role_label: str, roles, **kwargs) -> IdField:
    return IdField(
        what=role_label,
        queryset=StaffMember.objects.select_related("user", "resource").filter(role__in=roles),
        **kwargs,
    )


def validate_duration(procedure: Procedure, minutes: int) -> None:
    problem = rules.duration_problem(procedure, minutes)
    if problem:
        raise serializers.ValidationError({"duration": problem})


# --- inputs ---


class SlotQuerySerializer(QuerySerializer):
    procedure = ProcedureField()
    start = FriendlyDateField(help_text="First local clinic date to search, YYYY-MM-DD.")
    end = FriendlyDateField(help_text="Last local clinic date to search (inclusive), YYYY-MM-DD.")
    duration = FriendlyIntegerField(min_value=1, max_value=240, help_text="Minutes, e.g. 30 or 45.")
    radiologist = staff_field(
        role_label="radiologist", roles=[StaffMember.Role.RADIOLOGIST], required=False, allow_null=True
    )
    patient = IdField(what="patient", queryset=Patient.objects.all(), required=False, allow_null=True)
    limit = FriendlyIntegerField(min_value=1, max_value=MAX_SLOTS, default=20)

    def validate(self, data):
        if rules.day_beyond_horizon(data["start"]):
            raise serializers.ValidationError({"start": rules.day_beyond_horizon(data["start"])})
        if data["end"] < data["start"]:
            raise serializers.ValidationError({"end": "The end date is before the start date."})
        if (data["end"] - data["start"]).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError({"end": f"Search at most {MAX_RANGE_DAYS} days at a time."})
        validate_duration(data["procedure"], data["duration"])
        return data


class PatientInputSerializer(serializers.Serializer):
    mrn = serializers.RegexField(
        rules.MRN_PATTERN,
        error_messages={"invalid": rules.MRN_MESSAGE},
    )
    given_name = required_text(max_length=100)
    family_name = required_text(max_length=100)
    birth_date = FriendlyDateField()
    sex = serializers.ChoiceField(choices=Patient.Sex.choices, default=Patient.Sex.FEMALE)
    phone = PhoneNumberField(
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "That is not a valid phone number; include the area code, e.g. +1 202 555 0123."},
    )
    email = OptionalEmailField(required=False, allow_blank=True, default="")
    preferred_channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.ENGLISH)
    contrast_allergy = serializers.BooleanField(default=False)
    contrast_allergy_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate_birth_date(self, value):
        problem = rules.birth_date_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class UnreadIdField(IdField):
    """An id whose form is checked here and whose row is read later, where it is read anyway:
    the booking reads the patient under its lock, ChosenResourcesSerializer the room and
    people together (one query, not three). Its value is the id; an id of no one is refused
    there, with this field's message."""

    def to_internal_value(self, data):
        data = unwrapped_id(data)
        try:
            if isinstance(data, bool):
                raise TypeError
            pk = self.get_queryset().model._meta.pk.get_prep_value(data)  # as queryset.get(pk=…) reads it
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < pk < 2**63:
            self.fail("does_not_exist", pk_value=data)
        return pk


class TeamIdField(UnreadIdField):
    """The room's or a person's id in a booking or a move, with the roles that may fill it."""

    def __init__(self, *, roles=None, **kwargs):
        self.roles = roles
        super().__init__(**kwargs)


class ChosenResourcesSerializer(serializers.Serializer):
    """Room and people a booking or a move may name (ids or the slot search's objects);
    omitted ones are chosen by the slot search. Short notice needs a reason."""

    room = TeamIdField(what="room", queryset=Room.objects.all(), required=False, allow_null=True)
    radiologist = TeamIdField(
        what="radiologist",
        roles=[StaffMember.Role.RADIOLOGIST],
        queryset=StaffMember.objects.all(),
        required=False,
        allow_null=True,
    )
    technologist = TeamIdField(
        what="technologist or nurse",
        roles=StaffMember.ASSISTING_ROLES,
        queryset=StaffMember.objects.all(),
        required=False,
        allow_null=True,
    )
    lead_time_override_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        wanted = {name: value[name] for name in ("room", "radiologist", "technologist") if value.get(name)}
        if wanted:
            value.update(self._team(wanted))
        return value

    def _team(self, wanted: dict[str, int]) -> dict:
        """The named room and people with their calendars' rows: the process's copy when the
        token brought the team's counter (radiology.team_cache), else one query."""
        room_id = wanted.pop("room", None)
        version = token_counter(self.context, "team_version")
        found = team_cache.named(room_id, wanted.values(), version=version)
        team, errors = {}, {}
        if room_id:
            team["room"] = found.get(("room", room_id))
        for name, pk in wanted.items():
            member = found.get(("staff", pk))
            team[name] = member if member is not None and member.role in self.fields[name].roles else None
        for name, row in team.items():
            if row is None:
                field = self.fields[name]
                errors[name] = [
                    field.error_messages["does_not_exist"].format(pk_value=room_id if name == "room" else wanted[name])
                ]
        if errors:
            raise serializers.ValidationError(errors)
        return team


class AppointmentInputSerializer(ChosenResourcesSerializer):
    repeat_booking_reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the patient already has a galactogram ahead (400 names the existing one).",
    )
    order = IdField(
        what="order",
        queryset=Order.objects.select_related("patient", "procedure"),
        required=False,
        allow_null=True,
        help_text="Book from this waiting order (patient and procedure then come from it).",
    )
    # Read by the booking, under its lock, with her number's opt-out (the reminders need it).
    patient = UnreadIdField(what="patient", queryset=Patient.objects.all(), required=False)
    procedure = ProcedureField(required=False)
    start = AwareDateTimeField()
    duration = FriendlyIntegerField(min_value=1, max_value=240)
    # Without an order, one is created from these.
    side = serializers.ChoiceField(choices=Order.Side.choices, required=False, allow_blank=True, default="")
    indication = serializers.ChoiceField(choices=Order.Indication.choices, required=False, allow_blank=True, default="")
    indication_other = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Booking from an order, the patient and procedure come from it; else both are required.
        data = kwargs.get("data")
        if not (hasattr(data, "get") and data.get("order")):
            self.fields["patient"].required = self.fields["procedure"].required = True

    def validate(self, data):
        order = data.get("order")
        if order is not None:
            data.setdefault("patient", order.patient)
            data.setdefault("procedure", order.procedure)
        validate_duration(data["procedure"], data["duration"])
        validate_not_absurd(data["start"])
        return data


class RescheduleInputSerializer(ChosenResourcesSerializer):
    start = AwareDateTimeField()
    duration = FriendlyIntegerField(min_value=1, max_value=240, required=False, allow_null=True)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

    def validate(self, data):
        validate_not_absurd(data["start"])
        return data


class RestaffInputSerializer(serializers.Serializer):
    """Other people at the same time: the ones named replace the booked ones (at least one)."""

    radiologist = staff_field(
        role_label="radiologist", roles=[StaffMember.Role.RADIOLOGIST], required=False, allow_null=True
    )
    technologist = staff_field(
        role_label="technologist or nurse", roles=StaffMember.ASSISTING_ROLES, required=False, allow_null=True
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(
        choices=ACTIONS["cancel"].reason_choices.choices, help_text="A code from the catalog."
    )
    note = serializers.CharField(
        max_length=250, required=False, allow_blank=True, default="", help_text="Required with `other`."
    )


class CancelInputSerializer(ReasonSerializer):
    pass


class ChecklistSerializer(serializers.Serializer):
    """The check-in checklist, as the technologist confirms it on the page."""

    identity_confirmed = serializers.BooleanField()
    contrast_allergy_asked = serializers.BooleanField()
    contrast_allergy_reported = serializers.BooleanField(default=False)
    discharge_present_today = serializers.BooleanField()
    not_expressed_last_48h = serializers.BooleanField()
    consent_signed = serializers.BooleanField()
    side_confirmed = serializers.BooleanField(help_text="The order's side confirmed with the patient.")
    pregnancy = serializers.ChoiceField(
        choices=CheckInChecklist.Pregnancy.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Her answer at check-in. Required when the order (received within "
        "CHECK_IN_ORDER_PREGNANCY_DAYS), her age or her sex do not settle it; an answer given counts.",
    )
    breastfeeding = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Her answer at check-in; required as pregnancy is."
    )
    cleared_by = staff_field(
        role_label="radiologist",
        roles=[StaffMember.Role.RADIOLOGIST],
        required=False,
        allow_null=True,
        default=None,
        help_text="When she is or may be pregnant, or breastfeeding: the radiologist who decided to go ahead.",
    )
    clearance_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Why the radiologist went ahead."
    )


class OutcomeSerializer(serializers.Serializer):
    """The procedure's outcome: ducts studied (→ 77053 or 77054 with 19030), contrast, complications."""

    ducts = serializers.ChoiceField(choices=ProcedureOutcome.Ducts.choices)
    contrast_volume_ml = serializers.DecimalField(
        max_digits=3, decimal_places=1, min_value=Decimal("0.1"), max_value=Decimal("10")
    )
    complications = serializers.ListField(
        child=serializers.ChoiceField(choices=ProcedureOutcome.Complication.choices), min_length=1, max_length=6
    )
    complication_note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    findings = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    impression = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OutcomeCorrectionSerializer(serializers.Serializer):
    """A correction of the recorded outcome, with the reason (the codes follow the ducts)."""

    ducts = serializers.ChoiceField(choices=ProcedureOutcome.Ducts.choices)
    contrast_volume_ml = serializers.DecimalField(
        max_digits=3, decimal_places=1, min_value=Decimal("0.1"), max_value=Decimal("10")
    )
    complications = serializers.ListField(
        child=serializers.ChoiceField(choices=ProcedureOutcome.Complication.choices), min_length=1, max_length=6
    )
    complication_note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=250)


class FollowUpPlanSerializer(serializers.Serializer):
    """The radiologist's decision: a kind, its date when booked, a reason when "none"."""

    kind = serializers.ChoiceField(choices=FollowUpPlan.Kind.choices)
    scheduled_for = AwareDateTimeField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def _inputs_help() -> str:
    parts = [f"{name} → {', '.join(ACTIONS[name].inputs)}" for name in NAMED_ACTIONS if ACTIONS[name].inputs]
    return "The action; its required inputs: " + "; ".join(parts) + " (a reason_code takes a note)."


def _goes_with(field_name: str) -> list[str]:
    return [name for name in NAMED_ACTIONS if field_name in ACTIONS[name].body_fields]


class TransitionInputSerializer(serializers.Serializer):
    """A named action and its inputs, as the action table's row for it says: which body
    fields go with it, which are required (run_action refuses without them), which reason
    codes it takes."""

    action = serializers.ChoiceField(choices=NAMED_ACTIONS, help_text=_inputs_help())
    checklist = ChecklistSerializer(required=False, help_text="Required with check_in.")
    outcome = OutcomeSerializer(required=False, help_text="Required with complete.")
    plan = FollowUpPlanSerializer(required=False, help_text="Required with arrange_follow_up.")
    reason_code = serializers.CharField(
        max_length=30,
        required=False,
        help_text=f"Required with {', '.join(_goes_with('reason_code'))}: a catalog code.",
    )
    note = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")
    arrived = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="With did_not_proceed: she came; record her arrival."
    )
    radiologist = staff_field(
        role_label="radiologist", roles=[StaffMember.Role.RADIOLOGIST], required=False, allow_null=True
    )
    technologist = staff_field(
        role_label="technologist or nurse", roles=StaffMember.ASSISTING_ROLES, required=False, allow_null=True
    )

    def validate(self, data):
        spec = ACTIONS[data["action"]]
        for name in BODY_FIELDS:
            if data.get(name) is not None and name not in spec.body_fields:
                raise serializers.ValidationError({name: f"{name} goes with {' or '.join(_goes_with(name))} only."})
        choices = spec.reason_choices
        if choices and data.get("reason_code") and data["reason_code"] not in choices.values:
            raise serializers.ValidationError({"reason_code": f"One of: {', '.join(choices.values)}."})
        return data


class AppointmentListQuerySerializer(QuerySerializer):
    date = FriendlyDateField(required=False, help_text="Local clinic date, YYYY-MM-DD; default today.")
    room = IdField(what="room", queryset=Room.objects.all(), required=False, allow_null=True)
    status = serializers.ChoiceField(choices=AppointmentStatus.choices, required=False)


class PatientQuerySerializer(QuerySerializer):
    """Without ?mrn= or ?q= nothing is searched and the list is empty (never every patient)."""

    mrn = required_text(max_length=20, required=False, help_text="The exact MRN.")
    q = serializers.RegexField(
        r"\S\s*\S",
        max_length=100,
        required=False,
        help_text="At least 2 letters of a name, or an MRN.",
        error_messages={"invalid": "Give at least 2 letters of a name (?q=) or an MRN (?mrn=)."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A search term with a NUL in it is valid by the schema; it simply finds nothing (the
        # view drops the NUL before the database, which cannot store one).
        for name in ("mrn", "q"):
            field = self.fields[name]
            field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def validate(self, data):
        return {name: value.replace("\x00", "") for name, value in super().validate(data).items()}


def validate_not_absurd(start) -> None:
    problem = rules.start_out_of_range(start, now=timezone.now())
    if problem:
        raise serializers.ValidationError({"start": problem})


# --- outputs ---


class LocalDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", clinic_zone())
        super().__init__(**kwargs)


class RoomRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StaffRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()


class StaffCandidatesSerializer(serializers.Serializer):
    """Who else is free at the appointment's own start, per role (the slot search's answer)."""

    radiologist = StaffRefSerializer(many=True)
    technologist = StaffRefSerializer(many=True)


class SlotSerializer(serializers.Serializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    room = RoomRefSerializer()
    radiologist = StaffRefSerializer()
    technologist = StaffRefSerializer()


def slot_data(slot) -> dict:
    return SlotSerializer(slot).data


class PatientSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(read_only=True, help_text="E.164, e.g. +12025550123.")
    email = OptionalEmailField(read_only=True)
    sms_opt_out = serializers.SerializerMethodField(
        help_text="Her number replied STOP (or a carrier's opt-out word): no texts go to it until START; "
        "her messages go by e-mail if she has one."
    )

    class Meta:
        model = Patient
        fields = ["id", *Patient.CONTACT_FIELDS, *NEEDS_FIELDS, "sms_opt_out"]
        read_only_fields = fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One query for a whole page of patients, not one each.
        # (With many=True, DRF gives the child serializer the whole list as its instance.)
        patients = [self.instance] if isinstance(self.instance, Patient) else list(self.instance or [])
        self._stopped = opted_out_numbers(str(p.phone) for p in patients if p.phone)

    def get_sms_opt_out(self, patient) -> bool:
        return bool(patient.phone) and str(patient.phone) in self._stopped


class PatientNeedsSerializer(serializers.Serializer):
    """Her interpreter and access needs, all of them (PUT replaces what was recorded)."""

    interpreter_needed = serializers.BooleanField()
    interpreter_language = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="The language she speaks, as text."
    )
    interpreter_booked = serializers.BooleanField(default=False, help_text="Only with interpreter_needed.")
    wheelchair = serializers.BooleanField(default=False)
    hearing_impaired = serializers.BooleanField(default=False)
    visually_impaired = serializers.BooleanField(default=False)
    access_note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Other needs, as text."
    )


class WaitingListEntrySerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True)
    accession_number = serializers.CharField(source="order.accession_number", read_only=True)
    patient = serializers.IntegerField(source="patient_id", read_only=True)

    class Meta:
        model = WaitingListEntry
        fields = ["id", "patient", "order", "accession_number", "source", "state", "added_at"]
        read_only_fields = fields


class PatientDetailSerializer(PatientSerializer):
    """One patient, with the waiting-list entries she is on (issue 21)."""

    waiting_list = serializers.SerializerMethodField()

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "waiting_list"]
        read_only_fields = fields

    @extend_schema_field(WaitingListEntrySerializer(many=True))
    def get_waiting_list(self, patient):
        return WaitingListEntrySerializer(waiting_entries(patient), many=True).data


class WaitingListInputSerializer(serializers.Serializer):
    """Put her on the list (or take her off) for an order; without `order`: her next booked
    galactogram's order, else her one order waiting to be scheduled."""

    patient = IdField(what="patient", queryset=Patient.objects.all())
    order = IdField(what="order", queryset=Order.objects.all(), required=False, allow_null=True)


class PatientRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mrn = serializers.CharField()
    name = serializers.CharField(source="full_name")


class ResourcesSerializer(serializers.Serializer):
    room = RoomRefSerializer()
    radiologist = StaffRefSerializer()
    technologist = StaffRefSerializer()


class FhirStatusField(serializers.CharField):
    """The appointment's state as FHIR R4 names it: the told table's, never a mapping of its own."""

    def __init__(self, **kwargs):
        super().__init__(source="status", read_only=True, **kwargs)

    def to_representation(self, value):
        return told_table.fhir_status(value)


class AppointmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    fhir_status = FhirStatusField(help_text="FHIR R4 Appointment.status.")
    procedure = serializers.CharField(source="procedure.slug")
    patient = PatientRefSerializer()
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    duration = serializers.IntegerField(source="duration_minutes")
    resources = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    patient_confirmed_at = serializers.DateTimeField(
        allow_null=True, help_text="When she said she will come (her link, or C / SÍ by text); null until then."
    )
    lead_time_override_reason = serializers.CharField()
    cancel_reason = serializers.CharField()
    order = serializers.IntegerField(source="order_id", help_text="The order it was booked from.")
    accession_number = serializers.CharField(source="order.accession_number")
    study_instance_uid = serializers.CharField(source="order.study_instance_uid")
    side = serializers.CharField(source="order.side", help_text="left, right, or empty when the order has none.")
    indication = serializers.CharField(source="order.indication")

    @extend_schema_field(ResourcesSerializer)
    def get_resources(self, appointment) -> dict:
        # ResourcesSerializer's shape, built flat: four nested serializers per row were most of
        # a 200-row day list's time (2.19x FHIR's search of the same day, issue 24).
        return {
            "room": _ref(appointment.room, "name"),
            "radiologist": _ref(appointment.radiologist, "name", "role"),
            "technologist": _ref(appointment.technologist, "name", "role"),
        }


def _ref(record, *fields) -> dict | None:
    """RoomRefSerializer / StaffRefSerializer's output for one record."""
    if record is None:
        return None
    return {"id": record.pk, **{name: str(getattr(record, name)) for name in fields}}


class TransitionSerializer(serializers.ModelSerializer):
    at = LocalDateTimeField()
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = AppointmentTransition
        fields = ["action", "from_status", "to_status", "actor", "at", "note"]


class ReminderSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(help_text="The kind in words.")
    audience = serializers.CharField()
    channel = serializers.CharField()
    due_at = LocalDateTimeField()
    status = serializers.CharField()


class ReportVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["preliminary", "final"])
    findings = serializers.CharField()
    impression = serializers.CharField()
    assessment = serializers.CharField()
    recommendation = serializers.CharField()
    follow_up_interval_weeks = serializers.IntegerField(allow_null=True)
    saved_by = serializers.CharField(help_text="Who saved this version.")
    saved_at = LocalDateTimeField(source="history_date")


class ReportAddendumSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()
    signed_by = StaffRefSerializer()
    signed_at = LocalDateTimeField()


class ReportSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["preliminary", "final"], source="report.status")
    status_display = serializers.CharField(
        source="status_label", help_text="Preliminary, Final, or Final with addendum (addenda)."
    )
    version = serializers.IntegerField(source="report.version", help_text="Each saved change is a new version.")
    findings = serializers.CharField(source="report.findings")
    impression = serializers.CharField(source="report.impression")
    assessment = serializers.CharField(source="report.assessment", help_text="BI-RADS category, 0 to 6.")
    assessment_display = serializers.CharField(source="report.get_assessment_display")
    recommendation = serializers.CharField(source="report.recommendation")
    recommendation_display = serializers.CharField(source="report.get_recommendation_display")
    follow_up_interval_weeks = serializers.IntegerField(source="report.follow_up_interval_weeks", allow_null=True)
    radiologist = StaffRefSerializer(source="report.radiologist", help_text="Who wrote the latest version.")
    written_at = LocalDateTimeField(source="report.written_at")
    signed_by = StaffRefSerializer(source="report.signed_by", allow_null=True)
    signed_at = LocalDateTimeField(source="report.signed_at", allow_null=True)
    versions = ReportVersionSerializer(many=True, help_text="Every saved version, oldest first.")
    addenda = ReportAddendumSerializer(many=True, help_text="Signed addenda to the final report, oldest first.")


class ReportInputSerializer(serializers.Serializer):
    findings = serializers.CharField(max_length=20000)
    impression = serializers.CharField(max_length=5000)
    assessment = serializers.ChoiceField(choices=Assessment.values, help_text='BI-RADS category, "0" to "6".')
    recommendation = serializers.ChoiceField(choices=Recommendation.values)
    follow_up_interval_weeks = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_FOLLOW_UP_WEEKS
    )
    final = serializers.BooleanField(
        required=False, default=False, help_text="Sign as final. With a token, the token is the signature."
    )
    password = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=200,
        trim_whitespace=False,
        help_text="Only with a browser session, to sign: the radiologist's password. Ignored with a token.",
    )


class AddendumInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20000)
    password = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=200,
        trim_whitespace=False,
        help_text="Only with a browser session: the radiologist's password. Ignored with a token.",
    )


class LetterSerializer(serializers.Serializer):
    """The patient's result letter (issue 20 A): due when the report is final."""

    id = serializers.IntegerField()
    appointment = serializers.IntegerField(source="report.appointment_id")
    patient = PatientRefSerializer()
    status = serializers.SerializerMethodField(help_text="due, overdue, sent or withdrawn.")
    due_at = LocalDateTimeField()
    sent_at = LocalDateTimeField(allow_null=True)
    posted_at = LocalDateTimeField(allow_null=True)
    channel = serializers.CharField(help_text="post, link, both, or empty while not chosen.")
    pdf = serializers.SerializerMethodField(help_text="The letter as a PDF (readable with a staff token).")

    def get_status(self, letter) -> str:
        return letter.state(timezone.now())

    def get_pdf(self, letter) -> str:
        path = reverse("api:letter_pdf", args=[letter.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class LetterListSerializer(serializers.Serializer):
    letters = LetterSerializer(many=True)


class LetterListQuerySerializer(QuerySerializer):
    status = serializers.ChoiceField(
        choices=["due", "overdue", "soon", "to_post", "sent"],
        required=False,
        help_text="due (not sent yet, overdue included; the default), overdue, soon (due within 3 days), "
        "to_post (the print queue) or sent.",
    )


class LoopStepSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="call_task, patient_letter, referrer_notice (follow-ups).")
    label = serializers.CharField(source="get_kind_display")
    due_at = LocalDateTimeField()
    status = serializers.CharField(help_text="planned, reached or withdrawn.")
    reached_at = LocalDateTimeField(allow_null=True)


class FollowUpSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    appointment = serializers.IntegerField(source="appointment_id", help_text="The exam whose report recommended it.")
    patient = serializers.IntegerField(source="appointment.patient_id")
    kind = serializers.CharField(help_text="The report's recommendation (surgical_consultation, ultrasound, ...).")
    due_at = LocalDateTimeField()
    state = serializers.CharField(help_text="open, booked, done or closed.")
    overdue = serializers.SerializerMethodField()
    booked_appointment = serializers.IntegerField(source="booked_appointment_id", allow_null=True)
    booked_order = serializers.IntegerField(source="booked_order_id", allow_null=True)
    elsewhere_on = serializers.DateField(allow_null=True)
    elsewhere_place = serializers.CharField()
    done_appointment = serializers.IntegerField(source="done_appointment_id", allow_null=True)
    close_reason = serializers.CharField(help_text="declined, done_elsewhere, moved_away, deceased (closed only).")
    escalation = LoopStepSerializer(many=True, source="steps.all", help_text="Its escalation steps.")

    def get_overdue(self, follow_up) -> bool:
        return follow_up.state == "open" and follow_up.due_at < timezone.now()


class FollowUpQuerySerializer(QuerySerializer):
    state = serializers.ChoiceField(choices=["open", "booked", "done", "closed"], required=False)
    overdue = serializers.BooleanField(required=False, default=False)


class FollowUpListSerializer(serializers.Serializer):
    follow_ups = FollowUpSerializer(many=True)


class AppointmentDetailSerializer(AppointmentSerializer):
    transitions = TransitionSerializer(many=True, source="transitions.all")
    follow_ups = serializers.SerializerMethodField(help_text="Tracked follow-ups of its report's recommendation.")
    allowed_actions = serializers.SerializerMethodField(help_text="What the requesting user may do now.")
    reminders = serializers.SerializerMethodField(help_text="Planned and sent reminders.")
    report = serializers.SerializerMethodField(help_text="The radiologist's report, or null when none is written.")

    # A booking's 201 answer (context just_booked): an appointment booked a moment ago has no
    # report, letter or follow-up yet (each needs the exam done), so none is looked for.

    @extend_schema_field(ReportSerializer(allow_null=True))
    def get_report(self, appointment) -> dict | None:
        if self.context.get("just_booked"):
            return None
        record = report_record(appointment.pk)
        return ReportSerializer(record).data if record else None

    letter = serializers.SerializerMethodField(help_text="The result letter, once the report is final; else null.")

    @extend_schema_field(LetterSerializer(allow_null=True))
    def get_letter(self, appointment) -> dict | None:
        if self.context.get("just_booked"):
            return None
        letter = letter_selectors.letter_of_appointment(appointment.pk)
        return LetterSerializer(letter, context=self.context).data if letter is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, appointment) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        offered = offered_actions(appointment, permissions=request.user.get_all_permissions(), now=timezone.now())
        return [spec.name for spec in offered]

    @extend_schema_field(ReminderSerializer(many=True))
    def get_reminders(self, appointment) -> list[dict]:
        return ReminderSerializer(selectors.reminders_for(appointment), many=True).data

    @extend_schema_field(FollowUpSerializer(many=True))
    def get_follow_ups(self, appointment) -> list[dict]:
        if self.context.get("just_booked"):
            return []
        rows = loops.follow_ups_of([appointment.pk]).get(appointment.pk, [])
        return FollowUpSerializer(rows, many=True).data


class AppointmentSerializerForSchema(serializers.Serializer):
    """Only for documenting list responses."""

    appointments = AppointmentSerializer(many=True)


class SlotListSerializer(serializers.Serializer):
    slots = SlotSerializer(many=True)


class PatientListSerializer(serializers.Serializer):
    patients = PatientSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField(), required=False)
    suggestions = SlotSerializer(many=True, required=False)
    patient = serializers.IntegerField(required=False, help_text="The patient already registered with that MRN.")

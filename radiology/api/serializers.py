"""Serializers: validate every input, shape every output. No business rules here; the
services decide, these only check that the input is well-formed and that ids exist.

Times go out as ISO 8601 in the clinic's zone with its offset (2026-03-02T09:30:00-05:00)
and come in only with an offset or Z: a naive time is refused, never guessed.
"""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from procedures.models import Procedure
from radiology.date_range import OUT_OF_RANGE, in_range
from radiology.models import (
    AppointmentStatus,
    AppointmentTransition,
    Channel,
    Language,
    Patient,
    ProcedureOutcome,
    Room,
    StaffMember,
    clinic_zone,
)
from radiology.services import reminders
from radiology.services.transitions import allowed_actions

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
        return super().to_internal_value(data)


class IdField(serializers.PrimaryKeyRelatedField):
    """An id that must exist; the message names what was looked for."""

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
    if minutes not in procedure.allowed_durations:
        allowed = ", ".join(str(m) for m in procedure.allowed_durations)
        raise serializers.ValidationError({"duration": f"A {procedure.name} takes {allowed} minutes."})


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
        today = timezone.now().astimezone(clinic_zone()).date()
        if data["start"] > today + timedelta(days=730):
            raise serializers.ValidationError({"start": "Search at most two years ahead."})
        if data["end"] < data["start"]:
            raise serializers.ValidationError({"end": "The end date is before the start date."})
        if (data["end"] - data["start"]).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError({"end": f"Search at most {MAX_RANGE_DAYS} days at a time."})
        validate_duration(data["procedure"], data["duration"])
        return data


class PatientInputSerializer(serializers.Serializer):
    mrn = serializers.RegexField(
        r"^[A-Za-z0-9-]{3,20}$",
        error_messages={"invalid": "An MRN is 3–20 letters, digits or dashes."},
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
        today = timezone.now().astimezone(clinic_zone()).date()
        if value > today:
            raise serializers.ValidationError("The date of birth is in the future.")
        if value.year < today.year - 130:
            raise serializers.ValidationError("That date of birth is more than 130 years ago.")
        return value


class AppointmentInputSerializer(serializers.Serializer):
    patient = IdField(what="patient", queryset=Patient.objects.all())
    procedure = ProcedureField()
    start = AwareDateTimeField()
    duration = FriendlyIntegerField(min_value=1, max_value=240)
    room = IdField(what="room", queryset=Room.objects.select_related("resource"), required=False, allow_null=True)
    radiologist = staff_field(
        role_label="radiologist", roles=[StaffMember.Role.RADIOLOGIST], required=False, allow_null=True
    )
    technologist = staff_field(
        role_label="technologist or nurse", roles=StaffMember.ASSISTING_ROLES, required=False, allow_null=True
    )
    lead_time_override_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, data):
        validate_duration(data["procedure"], data["duration"])
        validate_not_absurd(data["start"])
        return data


class RescheduleInputSerializer(serializers.Serializer):
    start = AwareDateTimeField()
    duration = FriendlyIntegerField(min_value=1, max_value=240, required=False, allow_null=True)
    room = IdField(what="room", queryset=Room.objects.select_related("resource"), required=False, allow_null=True)
    radiologist = staff_field(
        role_label="radiologist", roles=[StaffMember.Role.RADIOLOGIST], required=False, allow_null=True
    )
    technologist = staff_field(
        role_label="technologist or nurse", roles=StaffMember.ASSISTING_ROLES, required=False, allow_null=True
    )
    lead_time_override_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

    def validate(self, data):
        validate_not_absurd(data["start"])
        return data


class CancelInputSerializer(serializers.Serializer):
    reason = required_text(
        max_length=300,
        error_messages={
            "blank": "Say why the appointment is cancelled.",
            "required": "Say why.",
            "invalid": "Say why the appointment is cancelled.",
        },
    )


class ChecklistSerializer(serializers.Serializer):
    """The check-in checklist, as the technologist confirms it on the page."""

    identity_confirmed = serializers.BooleanField()
    contrast_allergy_asked = serializers.BooleanField()
    contrast_allergy_reported = serializers.BooleanField(default=False)
    discharge_present_today = serializers.BooleanField()
    not_expressed_last_48h = serializers.BooleanField()
    consent_signed = serializers.BooleanField()


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
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TransitionInputSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=50, help_text="check_in, start, complete, abort, no_show, …")
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Required for abort and cancel."
    )
    checklist = ChecklistSerializer(required=False, help_text="With check_in: the checklist, stored as on the page.")
    outcome = OutcomeSerializer(required=False, help_text="With complete: the outcome, stored as on the page.")

    def validate(self, data):
        if "checklist" in data and data["action"] != "check_in":
            raise serializers.ValidationError({"checklist": "A checklist goes with the check_in action only."})
        if "outcome" in data and data["action"] != "complete":
            raise serializers.ValidationError({"outcome": "An outcome goes with the complete action only."})
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


def validate_not_absurd(start) -> None:
    now = timezone.now()
    if start < now - timedelta(days=1) or start > now + timedelta(days=730):
        raise serializers.ValidationError({"start": "Choose a time between now and two years ahead."})


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

    class Meta:
        model = Patient
        fields = ["id", *Patient.CONTACT_FIELDS]
        read_only_fields = fields


class PatientRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mrn = serializers.CharField()
    name = serializers.CharField(source="full_name")


class ResourcesSerializer(serializers.Serializer):
    room = RoomRefSerializer()
    radiologist = StaffRefSerializer()
    technologist = StaffRefSerializer()


class AppointmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    fhir_status = serializers.CharField(help_text="FHIR R4 Appointment.status.")
    procedure = serializers.CharField(source="procedure.slug")
    patient = PatientRefSerializer()
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    duration = serializers.IntegerField(source="duration_minutes")
    resources = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    lead_time_override_reason = serializers.CharField()
    cancel_reason = serializers.CharField()

    @extend_schema_field(ResourcesSerializer)
    def get_resources(self, appointment) -> dict:
        return ResourcesSerializer(
            {"room": appointment.room, "radiologist": appointment.radiologist, "technologist": appointment.technologist}
        ).data


class TransitionSerializer(serializers.ModelSerializer):
    at = LocalDateTimeField()
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = AppointmentTransition
        fields = ["action", "from_status", "to_status", "actor", "at", "note"]


class ReminderSerializer(serializers.Serializer):
    kind = serializers.CharField()
    audience = serializers.CharField()
    channel = serializers.CharField()
    due_at = LocalDateTimeField()
    status = serializers.CharField()


class AppointmentDetailSerializer(AppointmentSerializer):
    transitions = TransitionSerializer(many=True, source="transitions.all")
    allowed_actions = serializers.SerializerMethodField(help_text="What the requesting user may do now.")
    reminders = serializers.SerializerMethodField(help_text="Planned and sent reminders.")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, appointment) -> list[str]:
        request = self.context.get("request")
        return allowed_actions(appointment, request.user) if request else []

    @extend_schema_field(ReminderSerializer(many=True))
    def get_reminders(self, appointment) -> list[dict]:
        reminders_for = getattr(reminders, "reminders_for", None)
        if reminders_for is None:  # the reminder outbox is not wired in yet
            return []
        return ReminderSerializer(reminders_for(appointment), many=True).data


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

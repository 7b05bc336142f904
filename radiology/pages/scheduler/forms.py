"""Scheduler forms. They check input and say what is wrong in a scheduler's words; the
booking services decide whether a time can be had."""

from datetime import datetime, timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row, Submit
from django import forms
from django.utils import timezone

from procedures.models import Procedure
from procedures.reasons import CancelReason
from radiology import rules
from radiology.models import Order, Patient, Room, StaffMember
from radiology.presentation.forms import DateInput
from scheduling.clinic_time import clinic_zone, local_today

MAX_SEARCH_DAYS = 62


class ProcedureChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Procedure.objects.filter(active=True),
            to_field_name="slug",
            empty_label=None,
            error_messages={"invalid_choice": "Choose a procedure from the list."},
            **kwargs,
        )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def radiologists():
    return StaffMember.objects.filter(role=StaffMember.Role.RADIOLOGIST).select_related("user")


class SlotSearchForm(forms.Form):
    procedure = ProcedureChoiceField()
    duration = forms.TypedChoiceField(
        label="Duration",
        coerce=int,
        choices=[],  # from the catalog, in __init__
        initial=45,
        help_text="Single duct: usually 30 minutes; allow 45 when more than one duct may be studied.",
    )
    start = forms.DateField(
        label="From",
        widget=DateInput,
        error_messages={"required": "Choose the first day to search.", "invalid": "Enter a date, e.g. 03/02/2026."},
    )
    end = forms.DateField(
        label="To (inclusive)",
        widget=DateInput,
        error_messages={"required": "Choose the last day to search.", "invalid": "Enter a date, e.g. 03/13/2026."},
    )
    radiologist = StaffChoiceField(
        queryset=radiologists(), required=False, empty_label="Any radiologist", label="Preferred radiologist"
    )
    short_notice = forms.BooleanField(
        required=False,
        label="Include the next 48 hours (short notice: booking then needs a reason)",
    )
    patient = forms.ModelChoiceField(queryset=Patient.objects.all(), required=False, widget=forms.HiddenInput)
    # Booking from the work queue: the order travels with the slot to the booking page.
    order = forms.ModelChoiceField(
        queryset=Order.objects.filter(status=Order.Status.WAITING), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["radiologist"].queryset = radiologists()
        durations = sorted({m for p in self.fields["procedure"].queryset for m in p.allowed_durations})
        self.fields["duration"].choices = [(m, f"{m} minutes") for m in durations]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "slot-search"
        self.helper.layout = Layout(
            Row(
                Column("procedure", css_class="col-md-3"),
                Column("duration", css_class="col-md-2"),
                Column(Field("start"), css_class="col-md-2"),
                Column(Field("end"), css_class="col-md-2"),
                Column("radiologist", css_class="col-md-3"),
            ),
            "short_notice",
            "patient",
            "order",
            Submit("search", "Find earliest slots", css_class="btn-primary"),
        )

    @classmethod
    def initial_values(cls, *, today=None) -> dict:
        today = today or local_today()
        return {"procedure": "galactogram", "duration": 45, "start": today, "end": today + timedelta(days=13)}

    def clean(self):
        data = super().clean()
        start, end, procedure = data.get("start"), data.get("end"), data.get("procedure")
        if start and start < local_today():
            self.add_error("start", "This day has passed; start from today or later.")
        elif start and rules.day_beyond_horizon(start):
            self.add_error("start", rules.day_beyond_horizon(start))
        if start and end and end < start:
            self.add_error("end", "The last day is before the first day.")
        elif start and end and (end - start).days + 1 > MAX_SEARCH_DAYS:
            self.add_error("end", f"Search at most {MAX_SEARCH_DAYS} days at a time; choose an earlier last day.")
        if procedure and data.get("duration") and rules.duration_problem(procedure, data["duration"]):
            self.add_error("duration", rules.duration_problem(procedure, data["duration"]))
        return data


class AwareDateTimeField(forms.CharField):
    """An ISO 8601 time with its offset, as the slot links carry it."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError("That time could not be read; pick a slot from the search again.") from None
        if timezone.is_naive(moment):
            raise forms.ValidationError("That time has no time zone; pick a slot from the search again.")
        return moment


class SlotChoiceForm(forms.Form):
    """The slot picked from the search, carried in hidden fields from page to page."""

    procedure = ProcedureChoiceField(widget=forms.HiddenInput)
    start = AwareDateTimeField(widget=forms.HiddenInput)
    duration = forms.IntegerField(min_value=15, max_value=240, widget=forms.HiddenInput)
    room = forms.ModelChoiceField(queryset=Room.objects.select_related("resource"), widget=forms.HiddenInput)
    radiologist = forms.ModelChoiceField(queryset=radiologists(), widget=forms.HiddenInput)
    technologist = forms.ModelChoiceField(
        queryset=StaffMember.objects.filter(role__in=StaffMember.ASSISTING_ROLES).select_related("user"),
        widget=forms.HiddenInput,
    )

    SLOT_FIELDS = ("procedure", "start", "duration", "room", "radiologist", "technologist")

    def clean_start(self):
        start = self.cleaned_data["start"]
        now = timezone.now()
        if start is not None and rules.start_out_of_range(start, now=now):
            raise forms.ValidationError("That time is not one we can book; pick a slot from the search again.")
        return start

    def slot_query(self) -> dict:
        """The slot as query parameters, to link onwards."""
        data = self.cleaned_data
        return {
            "procedure": data["procedure"].slug,
            "start": data["start"].isoformat(),
            "duration": data["duration"],
            "room": data["room"].pk,
            "radiologist": data["radiologist"].pk,
            "technologist": data["technologist"].pk,
        }


def slot_query(slot, *, procedure, duration) -> dict:
    """Query parameters that select one SlotOption on the booking page."""
    return {
        "procedure": procedure.slug,
        "start": slot.start.astimezone(clinic_zone()).isoformat(),
        "duration": duration,
        "room": slot.room.pk,
        "radiologist": slot.radiologist.pk,
        "technologist": slot.technologist.pk,
    }


class LeadTimeReasonMixin(forms.Form):
    lead_time_override_reason = forms.CharField(
        label="Reason for booking at short notice",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=(
            "Needed when the appointment is less than 48 hours away: the patient must not express "
            "(squeeze) the nipple for 48 hours before, so short notice needs a reason on record."
        ),
    )


class BookingForm(SlotChoiceForm, LeadTimeReasonMixin):
    repeat_booking_reason = forms.CharField(
        label="Reason for a second galactogram",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="She already has one booked: say why she needs another rather than a move.",
    )
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.all(),
        widget=forms.HiddenInput,
        error_messages={"required": "Choose the patient first.", "invalid_choice": "That patient no longer exists."},
    )
    order = forms.ModelChoiceField(
        queryset=Order.objects.select_related("patient"),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That order no longer exists."},
    )
    # Without an order, the booking creates one from these (radiology.services.booking).
    side = forms.ChoiceField(
        label="Side",
        choices=[("", "Not known yet"), *Order.Side.choices],
        required=False,
        widget=forms.RadioSelect,
        help_text="The breast with the discharge; confirmed again with the patient at check-in.",
    )
    indication = forms.ChoiceField(
        label="Indication", choices=[("", "Not given"), *Order.Indication.choices], required=False
    )
    indication_other = forms.CharField(label="Indication (other)", max_length=300, required=False)


class RescheduleForm(SlotChoiceForm, LeadTimeReasonMixin):
    note = forms.CharField(
        label="Note (why it moves)", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(forms.Form):
    # The patient's own link has its own code; staff choose from the rest.
    reason_code = forms.ChoiceField(
        label="Why is it cancelled?",
        choices=[("", "Choose a reason"), *[c for c in CancelReason.choices if c[0] != CancelReason.PATIENT_VIA_LINK]],
        error_messages={"required": "Please say why the appointment is cancelled; it is kept on record."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for “Other”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("cancel", "Cancel the appointment", css_class="btn-danger"))


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Find the patient", max_length=100, required=False)

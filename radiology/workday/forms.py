from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from procedures.reasons import AbortReason, NotProceededReason
from radiology import rules
from radiology.forms import CompleteForm  # noqa: F401 - the outcome form, shared with the modality steps page
from radiology.models import FollowUpPlan, Room, StaffMember


def _helper(tag=False):
    helper = FormHelper()
    helper.form_tag = tag
    return helper


class DayFilterForm(forms.Form):
    room = forms.ModelChoiceField(Room.objects.order_by("name"), required=False, empty_label="All rooms")
    radiologist = forms.ModelChoiceField(
        StaffMember.objects.filter(role="radiologist").select_related("user"),
        required=False,
        empty_label="All radiologists",
    )
    mine = forms.BooleanField(required=False, label="Only mine")


class CheckInForm(forms.Form):
    identity_confirmed = forms.BooleanField(required=False, label="Identity confirmed: name and date of birth")
    contrast_allergy_asked = forms.BooleanField(required=False, label="Asked about contrast (X-ray dye) allergy")
    contrast_allergy_reported = forms.BooleanField(required=False, label="Patient reports a contrast allergy")
    discharge_present_today = forms.BooleanField(required=False, label="Discharge present today")
    not_expressed_last_48h = forms.BooleanField(
        required=False, label="Nipple not squeezed or expressed in the last 48 hours"
    )
    consent_signed = forms.BooleanField(required=False, label="Consent form signed")
    side_confirmed = forms.BooleanField(
        required=False, label="Side confirmed with the patient (the breast named in the order)"
    )
    helper = _helper()


class StartForm(forms.Form):
    radiologist = forms.ModelChoiceField(StaffMember.objects.filter(role="radiologist").select_related("user"))
    technologist = forms.ModelChoiceField(
        StaffMember.objects.filter(role__in=StaffMember.ASSISTING_ROLES).select_related("user"),
        label="Technologist or nurse",
    )
    helper = _helper()


class AbortForm(forms.Form):
    reason_code = forms.ChoiceField(choices=[("", "Choose a reason"), *AbortReason.choices], label="Reason")
    note = forms.CharField(required=False, max_length=250, help_text="Required for “Other”.")
    helper = _helper()


class NotProceededForm(forms.Form):
    reason_code = forms.ChoiceField(choices=[("", "Choose a reason"), *NotProceededReason.choices], label="Reason")
    note = forms.CharField(required=False, max_length=250, help_text="Required for “Other”.")
    helper = _helper()


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(choices=FollowUpPlan.Kind.choices, label="Follow-up")
    scheduled_for = forms.DateTimeField(
        required=False,
        label="When (if booked)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(required=False, max_length=500, label="Reason (required for no follow-up)")
    helper = _helper()

    def clean_scheduled_for(self):
        value = self.cleaned_data["scheduled_for"]
        if value and value <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        if value and rules.start_out_of_range(value, now=timezone.now()):
            raise forms.ValidationError(rules.start_out_of_range(value, now=timezone.now()))
        return value


class ConfirmForm(forms.Form):
    """An action with nothing to fill in: the button is the confirmation."""

    helper = _helper()

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from procedures.reasons import NotProceededReason
from radiology import rules
from radiology.models import FollowUpPlan, ProcedureOutcome, Room, StaffMember
from radiology.services import check_in_questions


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


YES_NO = [("yes", "Yes"), ("no", "No")]
PREGNANCY_ANSWERS = [("not_pregnant", "No"), ("possible", "Possibly"), ("pregnant", "Yes")]


def _yes_no(label: str, help_text: str = "") -> forms.ChoiceField:
    """A question with an explicit answer: unanswered means "not asked", never "no"."""
    return forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect(attrs={"class": "yes-no"}),
        label=label,
        help_text=help_text,
        error_messages={"required": "Ask the patient and tick Yes or No."},
    )


class CheckInForm(forms.Form):
    """The check-in checklist. Confirmations are ticks; questions to the patient are Yes/No
    radios, so an unticked box never has to mean both "no" and "not asked". Every missing
    answer is reported at once; the service then applies the rules (no discharge today:
    no check-in)."""

    identity_confirmed = forms.BooleanField(
        label="Identity confirmed: name and date of birth",
        error_messages={"required": "Confirm the patient's name and date of birth first."},
    )
    contrast_allergy_reported = _yes_no("Does she report an allergy to contrast (X-ray dye)?")
    discharge_present_today = _yes_no("Is there nipple discharge today?", "Without discharge the duct cannot be found.")
    expressed_last_48h = _yes_no("Has the nipple been squeezed or expressed in the last 48 hours?")
    consent_signed = forms.BooleanField(
        label="Consent form signed",
        error_messages={"required": "The consent form must be signed before check-in."},
    )
    side_confirmed = forms.BooleanField(
        label="Side confirmed with the patient (the breast named in the order)",
        error_messages={"required": "Confirm with the patient which breast is examined before check-in."},
    )
    # Shown only when the order, her age or her sex do not settle them (the service's rule,
    # radiology.services.check_in_questions): then required, as the service requires them.
    pregnancy = forms.ChoiceField(
        choices=PREGNANCY_ANSWERS,
        widget=forms.RadioSelect(attrs={"class": "yes-no"}),
        label="Is she pregnant, or could she be?",
        error_messages={"required": "Ask whether she is or may be pregnant and tick her answer."},
    )
    breastfeeding = _yes_no(
        "Is she breastfeeding?", "Lactation is a relative contraindication: the radiologist decides."
    )
    cleared_by = forms.ModelChoiceField(
        StaffMember.objects.filter(role=StaffMember.Role.RADIOLOGIST).select_related("user"),
        required=False,
        empty_label="No decision needed",
        label="Radiologist who decided to go ahead",
        help_text="Only when she is or may be pregnant, or breastfeeding, and the radiologist decided to go ahead.",
    )
    clearance_reason = forms.CharField(
        required=False,
        max_length=300,
        label="The radiologist's reason",
        help_text="E.g. pregnancy test negative today.",
    )
    helper = _helper()

    def __init__(self, *args, questions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fields["cleared_by"].label_from_instance = lambda member: member.name
        # What is settled without asking, for the page to say so (and not ask).
        self.settled = []
        for name, label in (("pregnancy", "Pregnancy"), ("breastfeeding", "Breastfeeding")):
            known = getattr(questions, name, None)
            if known is not None:
                del self.fields[name]
                self.settled.append((label, known.text))

    @property
    def way_out(self) -> list[tuple[str, str]]:
        """The "did not proceed" reasons the page offers when an answer (given on this form or
        settled by the order) is positive: (reason code, button text)."""
        if self.questions is None:
            return []
        given = self.data.get("breastfeeding") if self.is_bound else None
        positive = check_in_questions.resolve_answers(
            self.questions,
            pregnancy=self.data.get("pregnancy", "") if self.is_bound else "",
            breastfeeding={"yes": True, "no": False}.get(given),
        ).positive
        return [(code, f"Did not proceed: {NotProceededReason(code).label}") for code in positive]

    def clean(self):
        """The service's checklist: every question answered means allergy was asked."""
        data = super().clean()
        if self.errors:
            return data
        breastfeeding = data.get("breastfeeding")
        return {
            "identity_confirmed": data["identity_confirmed"],
            "contrast_allergy_asked": True,
            "contrast_allergy_reported": data["contrast_allergy_reported"] == "yes",
            "discharge_present_today": data["discharge_present_today"] == "yes",
            "not_expressed_last_48h": data["expressed_last_48h"] == "no",
            "consent_signed": data["consent_signed"],
            "side_confirmed": data["side_confirmed"],
            "pregnancy": data.get("pregnancy", ""),
            "breastfeeding": None if breastfeeding is None else breastfeeding == "yes",
            "cleared_by": data["cleared_by"],
            "clearance_reason": data["clearance_reason"],
        }


class StartForm(forms.Form):
    radiologist = forms.ModelChoiceField(StaffMember.objects.filter(role="radiologist").select_related("user"))
    technologist = forms.ModelChoiceField(
        StaffMember.objects.filter(role__in=StaffMember.ASSISTING_ROLES).select_related("user"),
        label="Technologist or nurse",
    )
    helper = _helper()


class ReasonForm(forms.Form):
    """A coded reason from the action's own list (the action table's reason_choices), and a note."""

    reason_code = forms.ChoiceField(label="Reason")
    note = forms.CharField(required=False, max_length=250, help_text="Required for “Other”.")
    # From the check-in that found no discharge: she is here, and her arrival is recorded.
    arrived = forms.BooleanField(required=False, label="She came: record her arrival now")
    helper = _helper()

    def __init__(self, *args, reason_choices, takes_arrival=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [("", "Choose a reason"), *reason_choices.choices]
        if not takes_arrival:
            del self.fields["arrived"]


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


class OutcomeCorrectionForm(forms.Form):
    """A correction of the recorded outcome: what changed, and why (radiology.services.workflow.correct_outcome)."""

    ducts = forms.ChoiceField(choices=ProcedureOutcome.Ducts.choices, widget=forms.RadioSelect, label="Ducts studied")
    contrast_volume_ml = forms.DecimalField(
        label="Contrast volume (mL)", min_value=0.1, max_value=10, decimal_places=1, max_digits=3
    )
    complications = forms.MultipleChoiceField(
        choices=ProcedureOutcome.Complication.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick the complications, or “None” if there were none."},
    )
    complication_note = forms.CharField(required=False, max_length=500, label="Other complication")
    reason = forms.CharField(max_length=250, label="Why is it corrected?")
    helper = _helper()

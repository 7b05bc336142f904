from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms

from radiology import rules
from radiology.models import AppointmentStatus, Patient, ProcedureOutcome
from radiology.presentation.date_range import validate_in_range


class AppointmentFilterForm(forms.Form):
    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_in_range]
    )
    end = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_in_range]
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *AppointmentStatus.choices], required=False)
    # From the patient page: that patient's appointments, whenever they are.
    patient = forms.ModelChoiceField(Patient.objects.all(), required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end date is before the start date.")
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 366:
            self.add_error("end", "Please choose a range of at most one year.")
        return data


class CompleteForm(forms.Form):
    """The procedure's outcome, as the workday page and the modality steps page ask for it."""

    cannulated = forms.BooleanField(label="Duct cannulated and images acquired")
    ducts = forms.ChoiceField(choices=ProcedureOutcome.Ducts.choices, widget=forms.RadioSelect, label="Ducts studied")
    contrast_volume_ml = forms.DecimalField(
        label="Contrast volume (mL)", min_value=0.1, max_value=10, decimal_places=1, max_digits=3
    )
    # Nothing ticked in advance: a preselected "None" made ticking "Pain" a contradiction.
    complications = forms.MultipleChoiceField(
        choices=ProcedureOutcome.Complication.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick the complications, or “None” if there were none."},
    )
    complication_note = forms.CharField(required=False, max_length=500, label="Other complication")
    findings = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Findings")
    impression = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Impression")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Note")
    helper = FormHelper()
    helper.form_tag = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cannulated"].error_messages["required"] = (
            "If the duct could not be cannulated, abort the procedure with that reason instead."
        )


class DateInput(forms.DateInput):
    input_type = "date"


class PatientForm(forms.ModelForm):
    """A new patient (ContactForm corrects the contact fields of one). Saved through
    register_patient, not form.save()."""

    class Meta:
        model = Patient
        fields = list(Patient.CONTACT_FIELDS)
        labels = {
            "given_name": "First name",
            "family_name": "Last name",
            "birth_date": "Date of birth",
            "preferred_channel": "Send reminders by",
            "contrast_allergy": "Has reacted to X-ray dye (contrast) before",
            "contrast_allergy_note": "What happened (contrast reaction)",
        }
        help_texts = {"phone": "A mobile number for text reminders, e.g. (202) 555-0123."}
        widgets = {"birth_date": DateInput}
        error_messages = {
            "mrn": {
                "unique": "This MRN is already registered: search for the patient instead.",
                "required": "Enter the MRN from the hospital record.",
            },
            "given_name": {"required": "Enter the patient's first name."},
            "family_name": {"required": "Enter the patient's last name."},
            "phone": {"invalid": "That is not a phone number we can text; include the area code, e.g. (202) 555-0123."},
            "birth_date": {
                "invalid": "Enter the date of birth, e.g. 04/02/1980.",
                "required": "Enter the date of birth: it is checked with the patient at check-in.",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].error_messages["invalid"] = self._meta.error_messages["phone"]["invalid"]
        # The model keeps a system's record without them (flagged); staff always give them.
        for name in ("given_name", "birth_date"):
            if name in self.fields:
                self.fields[name].required = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("mrn", css_class="col-md-3"), Column("given_name"), Column("family_name")),
            Row(Column("birth_date", css_class="col-md-3"), Column("sex", css_class="col-md-3"), Column("language")),
            Row(Column("phone"), Column("email"), Column("preferred_channel")),
            "contrast_allergy",
            "contrast_allergy_note",
        )

    def clean_mrn(self):
        mrn = self.cleaned_data["mrn"].strip()
        existing = Patient.objects.filter(mrn__iexact=mrn).first()
        if existing:
            born = f"born {existing.birth_date:%d %b %Y}" if existing.birth_date else "birth date missing"
            raise forms.ValidationError(
                f"MRN {existing.mrn} is already registered to {existing.full_name} ({born}); search for her instead."
            )
        return mrn

    def clean_birth_date(self):
        born = self.cleaned_data["birth_date"]
        problem = rules.birth_date_problem(born)
        if problem:
            raise forms.ValidationError(problem)
        return born

    def clean(self):
        data = super().clean()
        problem = rules.unreachable(
            preferred_channel=data.get("preferred_channel"), phone=data.get("phone"), email=data.get("email")
        )
        if problem and problem[0] not in self.errors:
            self.add_error(*problem)
        if data.get("contrast_allergy") and not data.get("contrast_allergy_note", "").strip():
            self.add_error("contrast_allergy_note", "Say briefly what happened, so the team can prepare.")
        return data

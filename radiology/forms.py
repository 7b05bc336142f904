from crispy_forms.helper import FormHelper
from django import forms

from radiology.date_range import validate_in_range
from radiology.models import AppointmentStatus, Patient, ProcedureOutcome


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

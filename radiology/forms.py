from django import forms

from radiology.models import AppointmentStatus, Patient


class AppointmentFilterForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
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

from django import forms

from radiology.date_range import validate_in_range
from radiology.models import AppointmentStatus


class AppointmentFilterForm(forms.Form):
    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_in_range]
    )
    end = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_in_range]
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *AppointmentStatus.choices], required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end date is before the start date.")
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 366:
            self.add_error("end", "Please choose a range of at most one year.")
        return data

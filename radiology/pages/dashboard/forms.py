from django import forms

from radiology.presentation.date_range import validate_in_range


class PeriodForm(forms.Form):
    start = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="From", validators=[validate_in_range]
    )
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="To", validators=[validate_in_range])

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                self.add_error("end", "The end is before the start.")
            elif (data["end"] - data["start"]).days > 366:
                self.add_error("end", "Choose a period of at most a year.")
        return data

from django import forms

ANSWERS = [("yes", "Yes"), ("no", "No"), ("unsure", "I am not sure")]


def _answer(value):
    return {"yes": True, "no": False}.get(value)


class ReadinessForm(forms.Form):
    discharge_present = forms.TypedChoiceField(
        label="Is the fluid (discharge) from your nipple still there?",
        choices=ANSWERS,
        coerce=_answer,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    expressed_last_48h = forms.TypedChoiceField(
        label="In the last 2 days (48 hours), have you squeezed the nipple or expressed fluid?",
        choices=ANSWERS,
        coerce=_answer,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    contrast_allergy = forms.TypedChoiceField(
        label="Have you ever had a reaction to X-ray dye (contrast)?",
        choices=ANSWERS,
        coerce=_answer,
        empty_value=None,
        widget=forms.RadioSelect,
    )

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

ANSWERS = [("yes", _("Yes")), ("no", _("No")), ("unsure", _("I am not sure"))]
ANSWER_OF = {True: "yes", False: "no", None: "unsure"}


def _answer(value):
    return {"yes": True, "no": False}.get(value)


def _question(label):
    radios = forms.RadioSelect(attrs={"class": "form-check-input"})
    return forms.TypedChoiceField(label=label, choices=ANSWERS, coerce=_answer, empty_value=None, widget=radios)


class ReadinessForm(forms.Form):
    discharge_present = _question(_("Is the fluid (discharge) from your nipple still there?"))
    expressed_last_48h = _question(_("In the last 2 days (48 hours), have you squeezed the nipple or expressed fluid?"))
    contrast_allergy = _question(_("Have you ever had a reaction to X-ray dye (contrast)?"))

    @classmethod
    def for_answers(cls, answers):
        """The form showing her earlier answers, to change if something has changed."""
        if answers is None:
            return cls()
        return cls(initial={name: ANSWER_OF[getattr(answers, name)] for name in cls.base_fields})


class RescheduleForm(forms.Form):
    """The time she picked (radio buttons of the times offered). Whether it is still one of
    the times she may take is the service's question: a stale pick is a conflict."""

    start = forms.CharField()

    def clean_start(self):
        try:
            start = datetime.fromisoformat(self.cleaned_data["start"])
        except ValueError:
            raise forms.ValidationError(_("Please choose one of the times.")) from None
        if start.tzinfo is None:
            raise forms.ValidationError(_("Please choose one of the times."))
        return start

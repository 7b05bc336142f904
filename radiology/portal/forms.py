from datetime import datetime

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from radiology.models import clinic_zone

ANSWERS = [("yes", _("Yes")), ("no", _("No")), ("unsure", _("I am not sure"))]
ANSWER_OF = {True: "yes", False: "no", None: "unsure"}


def _answer(value):
    return {"yes": True, "no": False}.get(value)


def _question(label):
    return forms.TypedChoiceField(
        label=label, choices=ANSWERS, coerce=_answer, empty_value=None, widget=forms.RadioSelect
    )


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
    """One of the times offered to her (the service checks it is still one of them)."""

    start = forms.TypedChoiceField(
        label=_("Choose a new time"), coerce=datetime.fromisoformat, widget=forms.RadioSelect
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        zone = clinic_zone()
        self.fields["start"].choices = [
            (start.isoformat(), date_format(start.astimezone(zone), str(_("l j F, H:i")))) for start in choices
        ]

"""The report form and the addendum form. The rules (what is required, the signature) are the
report service's; these only shape the fields."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms

from radiology.models import Assessment, Recommendation
from radiology.services.reports import MAX_FOLLOW_UP_WEEKS

PASSWORD_HELP = "Needed only to sign: your own password, entered again."  # noqa: S105 - help text


class ReportForm(forms.Form):
    findings = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), label="Findings")
    impression = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Impression")
    assessment = forms.ChoiceField(choices=[("", "Choose…"), *Assessment.choices], label="Assessment (BI-RADS)")
    recommendation = forms.ChoiceField(choices=[("", "Choose…"), *Recommendation.choices], label="Recommendation")
    follow_up_interval_weeks = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_FOLLOW_UP_WEEKS, label="Follow-up interval (weeks)"
    )
    password = forms.CharField(
        required=False,
        strip=False,
        label="Your password (to sign)",
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    # The version she saw: a newer save by someone else is refused, not overwritten.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "findings",
            "impression",
            Row(Column("assessment"), Column("recommendation"), Column("follow_up_interval_weeks")),
            "password",
            "version",
        )


class AddendumForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Addendum")
    password = forms.CharField(
        strip=False,
        label="Your password (to sign)",
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

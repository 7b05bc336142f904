"""Correcting how a patient is reached, with the registration form's words and rule."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms

from radiology.models import Patient
from radiology.scheduler.forms import PatientForm, add_unreachable_error

FIELDS = ["phone", "email", "preferred_channel", "language"]


class ContactForm(forms.ModelForm):
    """Saved through patients.correct_contact, not form.save()."""

    class Meta:
        model = Patient
        fields = FIELDS
        labels = {name: PatientForm.Meta.labels[name] for name in FIELDS if name in PatientForm.Meta.labels}
        help_texts = PatientForm.Meta.help_texts
        error_messages = {"phone": PatientForm.Meta.error_messages["phone"]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].error_messages["invalid"] = self._meta.error_messages["phone"]["invalid"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("phone"), Column("email")), Row(Column("preferred_channel"), Column("language"))
        )

    def clean(self):
        data = super().clean()
        add_unreachable_error(self, data)
        return data

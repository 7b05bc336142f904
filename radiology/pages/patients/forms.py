"""Correcting how a patient is reached: the registration form's fields, words and rule."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms

from radiology.models import Patient
from radiology.presentation.forms import PatientForm
from radiology.services.patient_needs import NEEDS_FIELDS


class ContactForm(PatientForm):
    """Phone, e-mail, channel and language only. Saved through patients.correct_contact."""

    class Meta(PatientForm.Meta):
        fields = ["phone", "email", "preferred_channel", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Row(Column("phone"), Column("email")), Row(Column("preferred_channel"), Column("language"))
        )


class NeedsForm(forms.Form):
    """Her interpreter and access needs, all at once. Saved through patient_needs.record_needs
    (which refuses "interpreter booked" without "needs an interpreter")."""

    interpreter_needed = forms.BooleanField(required=False, label="Needs an interpreter")
    interpreter_booked = forms.BooleanField(required=False, label="Interpreter booked for her visits")
    interpreter_language = forms.CharField(
        required=False,
        max_length=60,
        label="Language she speaks (for the interpreter)",
        help_text="E.g. Portuguese, Arabic, British Sign Language.",
    )
    wheelchair = forms.BooleanField(required=False, label="Uses a wheelchair")
    hearing_impaired = forms.BooleanField(required=False, label="Hearing impaired")
    visually_impaired = forms.BooleanField(required=False, label="Visually impaired")
    access_note = forms.CharField(
        required=False, max_length=300, label="Other needs", help_text="E.g. needs a hoist, a chaperone, extra time."
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, initial={name: getattr(patient, name) for name in NEEDS_FIELDS}, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("interpreter_needed"), Column("interpreter_booked")),
            "interpreter_language",
            Row(Column("wheelchair"), Column("hearing_impaired"), Column("visually_impaired")),
            "access_note",
        )

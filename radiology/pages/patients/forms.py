"""Correcting how a patient is reached: the registration form's fields, words and rule."""

from crispy_forms.layout import Column, Layout, Row

from radiology.presentation.forms import PatientForm


class ContactForm(PatientForm):
    """Phone, e-mail, channel and language only. Saved through patients.correct_contact."""

    class Meta(PatientForm.Meta):
        fields = ["phone", "email", "preferred_channel", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Row(Column("phone"), Column("email")), Row(Column("preferred_channel"), Column("language"))
        )

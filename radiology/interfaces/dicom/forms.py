"""The needs-attention page's two ways to resolve a modality step: link it to an
appointment, or dismiss it with a reason."""

from crispy_forms.helper import FormHelper
from django import forms

from scheduling.clinic_time import to_local


def candidate_label(appointment) -> str:
    """Enough to tell patients apart against what the modality sent: time, room, name, MRN."""
    patient = appointment.patient
    return (
        f"{to_local(appointment.start):%H:%M} · {appointment.room} · {patient.family_name}, {patient.given_name} "
        f"(MRN {patient.mrn}) · {appointment.get_status_display()}"
    )


class LinkStepForm(forms.Form):
    appointment = forms.TypedChoiceField(coerce=int, label="This step is the procedure of")
    helper = FormHelper()
    helper.form_tag = False

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["appointment"]
        field.choices = [("", "Choose that day's appointment…")] + [(a.pk, candidate_label(a)) for a in candidates]
        field.error_messages["invalid_choice"] = "Choose one of that day's appointments still to be finished."


class DismissStepForm(forms.Form):
    REASONS = {
        "qc": "A test or quality-control exam at the modality",
        "duplicate": "A duplicate of another step",
        "mistake": "Started at the modality by mistake",
        "other": "Other",
    }
    reason = forms.ChoiceField(choices=[("", "Why?"), *REASONS.items()], label="Dismiss because")
    note = forms.CharField(required=False, max_length=200, label="Note")
    helper = FormHelper()
    helper.form_tag = False

    def clean(self):
        data = super().clean()
        if data.get("reason") == "other" and not data.get("note", "").strip():
            self.add_error("note", "Say what the step was.")
        return data

    def reason_text(self) -> str:
        note = self.cleaned_data.get("note", "").strip()
        reason = self.REASONS[self.cleaned_data["reason"]]
        return f"{reason}: {note}" if note else reason

"""Patients a system's message could not reach: the contact flag, the details as sent, and
the model's constraint "reachable on her channel, or flagged". A stored phone that is not a
number we can dial (left by the HL7 listener before this) moves to the text it was sent as,
flagged "check contact", so later orders for her are no longer refused over it. To-do notes
may be about a patient; only an accepted HL7 message is final for its control id."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def keep_unreadable_phones_as_text(apps, schema_editor):
    import phonenumbers

    Patient = apps.get_model("radiology", "Patient")
    region = settings.PHONENUMBER_DEFAULT_REGION
    for patient in Patient.objects.exclude(phone="").only("pk", "phone"):
        raw = str(patient.phone)
        try:
            ok = phonenumbers.is_valid_number(phonenumbers.parse(raw, region)) and raw.startswith("+")
        except phonenumbers.NumberParseException:
            ok = False
        if not ok:
            Patient.objects.filter(pk=patient.pk).update(
                phone="", contact_as_sent=raw[:200], contact_flag="check_contact", contact_flagged_at=timezone.now()
            )


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0019_modality_user"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="interfacemessage",
            name="interface_message_processed_once",
        ),
        migrations.RemoveConstraint(
            model_name="patient",
            name="patient_reachable_on_preferred_channel",
        ),
        migrations.AddField(
            model_name="historicalpatient",
            name="contact_as_sent",
            field=models.CharField(
                blank=True,
                help_text="Contact details as a system sent them that are not a number or address.",
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="historicalpatient",
            name="contact_flag",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "None"),
                    ("check_contact", "Check contact: a number or address as sent could not be read"),
                    ("no_contact", "No contact: no phone or e-mail reaches her"),
                ],
                default="",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="historicalpatient",
            name="contact_flagged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="patient",
            name="contact_as_sent",
            field=models.CharField(
                blank=True,
                help_text="Contact details as a system sent them that are not a number or address.",
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="patient",
            name="contact_flag",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "None"),
                    ("check_contact", "Check contact: a number or address as sent could not be read"),
                    ("no_contact", "No contact: no phone or e-mail reaches her"),
                ],
                default="",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="patient",
            name="contact_flagged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="todonote",
            name="patient",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="todo_notes",
                to="radiology.patient",
            ),
        ),
        migrations.AlterField(
            model_name="todonote",
            name="appointment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="todo_notes",
                to="radiology.appointment",
            ),
        ),
        migrations.RunPython(keep_unreadable_phones_as_text, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="interfacemessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("duplicate_of__isnull", True), models.Q(("control_id", ""), _negated=True), ("outcome", "accepted")
                ),
                fields=("protocol", "sender", "control_id"),
                name="interface_message_accepted_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("preferred_channel", "sms"), models.Q(("phone", ""), _negated=True)),
                    models.Q(("preferred_channel", "email"), models.Q(("email", ""), _negated=True)),
                    models.Q(("contact_flag", ""), _negated=True),
                    _connector="OR",
                ),
                name="patient_reachable_or_flagged",
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.CheckConstraint(
                condition=models.Q(("contact_flag", ""), ("contact_flagged_at__isnull", False), _connector="OR"),
                name="patient_contact_flag_is_dated",
            ),
        ),
        migrations.AddConstraint(
            model_name="todonote",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("appointment__isnull", False), ("patient__isnull", True)),
                    models.Q(("appointment__isnull", True), ("patient__isnull", False)),
                    _connector="OR",
                ),
                name="todonote_about_one_thing",
            ),
        ),
    ]

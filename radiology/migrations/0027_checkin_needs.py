"""The check-in a breast center expects (issue 22): pregnancy and breastfeeding on the check-in
checklist, with where each answer came from and the radiologist's decision past a positive one;
the patient's interpreter and access needs. Schema only: no rows are loaded. Checklists recorded
before keep the questions empty (the constraints allow "not asked then")."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0026_follow_ups_and_rebooking"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="checkinchecklist",
            name="breastfeeding",
            field=models.BooleanField(null=True),
        ),
        migrations.AddField(
            model_name="checkinchecklist",
            name="breastfeeding_settled_by",
            field=models.CharField(
                blank=True,
                choices=[
                    ("asked", "Asked at check-in"),
                    ("order", "The order"),
                    ("age", "Her age"),
                    ("sex", "Not applicable (male patient)"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="checkinchecklist",
            name="clearance_reason",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="checkinchecklist",
            name="cleared_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The radiologist who decided to go ahead although she is or may be pregnant, or breastfeeding.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="radiology.staffmember",
            ),
        ),
        migrations.AddField(
            model_name="checkinchecklist",
            name="pregnancy",
            field=models.CharField(
                blank=True,
                choices=[("not_pregnant", "Not pregnant"), ("possible", "Possibly pregnant"), ("pregnant", "Pregnant")],
                max_length=15,
            ),
        ),
        migrations.AddField(
            model_name="checkinchecklist",
            name="pregnancy_settled_by",
            field=models.CharField(
                blank=True,
                choices=[
                    ("asked", "Asked at check-in"),
                    ("order", "The order"),
                    ("age", "Her age"),
                    ("sex", "Not applicable (male patient)"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="historicalpatient",
            name="access_note",
            field=models.CharField(
                blank=True,
                help_text="E.g. needs a hoist, a chaperone, extra time.",
                max_length=300,
                verbose_name="other needs",
            ),
        ),
        migrations.AddField(
            model_name="historicalpatient",
            name="hearing_impaired",
            field=models.BooleanField(default=False, verbose_name="hearing impaired"),
        ),
        migrations.AddField(
            model_name="historicalpatient",
            name="interpreter_booked",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="historicalpatient",
            name="visually_impaired",
            field=models.BooleanField(default=False, verbose_name="visually impaired"),
        ),
        migrations.AddField(
            model_name="historicalpatient",
            name="wheelchair",
            field=models.BooleanField(default=False, verbose_name="uses a wheelchair"),
        ),
        migrations.AddField(
            model_name="patient",
            name="access_note",
            field=models.CharField(
                blank=True,
                help_text="E.g. needs a hoist, a chaperone, extra time.",
                max_length=300,
                verbose_name="other needs",
            ),
        ),
        migrations.AddField(
            model_name="patient",
            name="hearing_impaired",
            field=models.BooleanField(default=False, verbose_name="hearing impaired"),
        ),
        migrations.AddField(
            model_name="patient",
            name="interpreter_booked",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="patient",
            name="visually_impaired",
            field=models.BooleanField(default=False, verbose_name="visually impaired"),
        ),
        migrations.AddField(
            model_name="patient",
            name="wheelchair",
            field=models.BooleanField(default=False, verbose_name="uses a wheelchair"),
        ),
        migrations.AddConstraint(
            model_name="checkinchecklist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("pregnancy", ""), ("pregnancy_settled_by", "")),
                    models.Q(
                        models.Q(("pregnancy", ""), _negated=True),
                        models.Q(("pregnancy_settled_by", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="checklist_pregnancy_has_its_source",
            ),
        ),
        migrations.AddConstraint(
            model_name="checkinchecklist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("breastfeeding__isnull", True), ("breastfeeding_settled_by", "")),
                    models.Q(
                        ("breastfeeding__isnull", False), models.Q(("breastfeeding_settled_by", ""), _negated=True)
                    ),
                    _connector="OR",
                ),
                name="checklist_breastfeeding_has_its_source",
            ),
        ),
        migrations.AddConstraint(
            model_name="checkinchecklist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("pregnancy__in", ["possible", "pregnant"]),
                        ("breastfeeding", True),
                        _connector="OR",
                        _negated=True,
                    ),
                    models.Q(("cleared_by__isnull", False), models.Q(("clearance_reason", ""), _negated=True)),
                    _connector="OR",
                ),
                name="checklist_positive_answer_cleared_by_radiologist",
            ),
        ),
        migrations.AddConstraint(
            model_name="checkinchecklist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("clearance_reason", ""), ("cleared_by__isnull", True)),
                    models.Q(("cleared_by__isnull", False), models.Q(("clearance_reason", ""), _negated=True)),
                    _connector="OR",
                ),
                name="checklist_clearance_has_its_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.CheckConstraint(
                condition=models.Q(("interpreter_booked", False), ("interpreter_needed", True), _connector="OR"),
                name="patient_interpreter_booked_means_needed",
            ),
        ),
    ]

import pytest

from procedures.models import Procedure, ReminderRule

pytestmark = pytest.mark.django_db


def test_the_catalog_migration_loads_the_galactogram_with_its_codes_and_durations(galactogram):
    assert galactogram.name == "Mammary ductogram (galactogram)"
    assert (galactogram.injection_cpt, galactogram.imaging_cpt_single, galactogram.imaging_cpt_multiple) == (
        "19030",
        "77053",
        "77054",
    )
    assert galactogram.allowed_durations == [30, 45]
    assert galactogram.default_duration_minutes == 45
    assert (galactogram.no_expression_window_min_hours, galactogram.no_expression_window_max_hours) == (24, 48)
    assert galactogram.room_capability == "mammography"


def test_the_galactogram_tells_patients_in_plain_words_not_to_express_fluid(galactogram):
    assert any("Do not squeeze the nipple" in step for step in galactogram.preparation_steps)
    assert "do not squeeze" in galactogram.no_expression_instruction
    for field in ("summary", "procedure_description", "risks", "benefits", "recovery", "alternatives"):
        assert getattr(galactogram, field).strip(), field
    assert len(galactogram.risk_list) == 4
    assert any("MRI" in alt for alt in galactogram.alternative_list)


def test_the_catalog_carries_the_reminder_rules(galactogram):
    rules = {rule.kind: rule for rule in ReminderRule.objects.filter(procedure=galactogram)}
    assert set(rules) == {"prep", "no_expression", "day_before", "follow_up"}
    assert rules["no_expression"].anchor == "elapsed" and rules["no_expression"].offset_minutes == 48 * 60
    assert rules["day_before"].anchor == "wall_clock" and rules["day_before"].local_time.hour == 17


def test_a_default_duration_outside_the_range_is_refused_by_the_database(galactogram):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Procedure.objects.filter(pk=galactogram.pk).update(default_duration_minutes=60)

"""`pytest --reuse-db` keeps a database the previous run's last flush emptied; the session
reloads the rows the data migrations load (tests/conftest.py DATA_MIGRATIONS). A new data
migration must say which kind it is, or the second run misses its rows."""

from django.db.migrations import RunPython
from django.db.migrations.loader import MigrationLoader

from tests.conftest import DATA_MIGRATIONS

# Forward functions that load no rows a flush would take: triggers and constraints (DDL stays),
# fixes to rows that existed before, and role syncs that the reloaded create_groups covers.
LOAD_NO_ROWS = {
    "radiology.migrations.0004_notification_permissions.sync_groups",
    "radiology.migrations.0006_orders_for_existing_appointments.create_orders",
    "radiology.migrations.0008_interface_messages.sync_groups",
    "radiology.migrations.0010_coded_reasons_did_not_proceed.code_earlier_reasons",
    "radiology.migrations.0010_coded_reasons_did_not_proceed.managers_are_not_clinical",
    "radiology.migrations.0011_calendar_feeds.sync_groups",
    "radiology.migrations.0014_day_versions_todo_notes_search.create_triggers",
    "radiology.migrations.0016_reference_and_order_versions.create_triggers",
    "radiology.migrations.0017_permission_version.create_triggers",
    "radiology.migrations.0020_patient_contact_flags.keep_unreadable_phones_as_text",
    "radiology.migrations.0023_performed_and_reports.performed_when_completed",
    "radiology.migrations.0023_performed_and_reports.sync_groups",
    "radiology.migrations.0024_performed_has_time.set_triggers_aside",
    "radiology.migrations.0024_performed_has_time.put_triggers_back",
    "radiology.migrations.0025_result_letters.sync_groups",
    "radiology.migrations.0026_follow_ups_and_rebooking.sync_groups",
    "radiology.migrations.0030_catalog_version.create_triggers",
    "radiology.migrations.0031_team_version.create_triggers",
    "scheduling.migrations.0002_reservation_no_overlap.add_constraint",
    "scheduling.migrations.0005_reservation_at_most_a_day.add_constraint",
    "security.migrations.0002_hash_old_tokens_and_manager_permissions.hash_old_tokens",
    "security.migrations.0002_hash_old_tokens_and_manager_permissions.manager_permissions",
}


def test_every_data_migration_is_reloaded_for_a_reused_database_or_loads_no_rows():
    ours = ("radiology", "procedures", "scheduling", "notifications", "security", "monitoring")
    found = {
        f"{type(migration).__module__}.{operation.code.__name__}"
        for (app, _), migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.items()
        if app in ours
        for operation in migration.operations
        if isinstance(operation, RunPython)
    }
    reloaded = {f"{module}.{function}" for module, function in DATA_MIGRATIONS}
    assert found - LOAD_NO_ROWS == reloaded

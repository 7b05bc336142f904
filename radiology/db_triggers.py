"""Running a migration's trigger SQL on the database in use (PostgreSQL or SQLite): the change
counters' triggers (migrations 0014, 0016, 0017, 0030) are written once per vendor."""


def run_for_vendor(schema_editor, *, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"No change-counter triggers for {vendor}")


# The migrations that install the change counters' SQLite triggers (each has SQLITE_UP).
TRIGGER_MIGRATIONS = (
    "radiology.migrations.0014_day_versions_todo_notes_search",
    "radiology.migrations.0016_reference_and_order_versions",
    "radiology.migrations.0017_permission_version",
    "radiology.migrations.0030_catalog_version",
)


def restore_sqlite_triggers(sender=None, using="default", **kwargs) -> None:
    """post_migrate, SQLite only: put back any change-counter trigger a table rebuild dropped.

    SQLite alters a table by copying it into a new one, and a table's triggers go with the old
    one: after migration 0020 rebuilt radiology_patient, editing a patient no longer bumped the
    day's counter, so a day list kept showing the old name. Every trigger is created again if
    missing, after every migrate, so a later rebuild of any counted table cannot lose one."""
    import importlib

    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for module in TRIGGER_MIGRATIONS:
            for statement in importlib.import_module(module).SQLITE_UP:
                cursor.execute(statement.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1))

"""Running a migration's trigger SQL on the database in use (PostgreSQL or SQLite): the change
counters' triggers (migrations 0014, 0016, 0017, 0030) are written once per vendor; a counter
bumped by any change to a few tables (0017, 0030) is built by CounterTriggers."""


def run_for_vendor(schema_editor, *, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"No change-counter triggers for {vendor}")


class CounterTriggers:
    """The triggers that bump one counter (a pseudo-date of radiology_dayversion) on any change
    to these tables, once per statement on PostgreSQL, per row on SQLite (migrations 0017,
    0030): the SQL up and down for each vendor, named `<table>_bumps_<name>`."""

    def __init__(self, *, name: str, day: str, tables: tuple[str, ...]):
        function = f"radiology_{name}_bump"
        self.POSTGRES_UP = (
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$\n"
            f"BEGIN\n  PERFORM radiology_bump_days('{day}'::date);\n  RETURN NULL;\nEND $$ LANGUAGE plpgsql;\n"
        ) + "".join(
            f"CREATE TRIGGER {table}_bumps_{name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE\n"
            f"  ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
            for table in tables
        )
        self.POSTGRES_DOWN = "".join(f"DROP TRIGGER IF EXISTS {t}_bumps_{name} ON {t};\n" for t in tables) + (
            f"DROP FUNCTION IF EXISTS {function}();\n"
        )
        # A migration's own constant date, not input.
        bump = f"INSERT INTO radiology_dayversion (day, version) VALUES ('{day}', 1) "  # noqa: S608
        bump += "ON CONFLICT(day) DO UPDATE SET version = version + 1;"
        operations = ("INSERT", "UPDATE", "DELETE")
        self.SQLITE_UP = [
            f"CREATE TRIGGER {t}_bumps_{name}_{op.lower()} AFTER {op} ON {t} BEGIN {bump} END;"
            for t in tables
            for op in operations
        ]
        self.SQLITE_DOWN = [
            f"DROP TRIGGER IF EXISTS {t}_bumps_{name}_{op.lower()};" for t in tables for op in operations
        ]


# The migrations that install the change counters' SQLite triggers (each has SQLITE_UP).
TRIGGER_MIGRATIONS = (
    "radiology.migrations.0014_day_versions_todo_notes_search",
    "radiology.migrations.0016_reference_and_order_versions",
    "radiology.migrations.0017_permission_version",
    "radiology.migrations.0030_catalog_version",
    "radiology.migrations.0031_team_version",
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

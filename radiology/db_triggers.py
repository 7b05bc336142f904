"""Running a migration's trigger SQL on the database in use (PostgreSQL or SQLite): the change
counters' triggers (migrations 0014, 0016, 0017) are written once per vendor."""


def run_for_vendor(schema_editor, *, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"No change-counter triggers for {vendor}")

"""The scheduling engine is used through its public calls only (scheduling.services.__all__):
no other app reaches into its free-time internals."""

import ast
from pathlib import Path

from scheduling import services

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("radiology", "notifications", "procedures", "monitoring", "security", "config", "bench")


def _uses_of_the_engine(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "scheduling.services":
            used.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "scheduling":
            aliases.update(a.asname or a.name for a in node.names if a.name == "services")
        elif isinstance(node, ast.Import):
            aliases.update(a.asname for a in node.names if a.name == "scheduling.services" and a.asname)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.add(node.attr)
    return used


def test_other_apps_call_only_what_the_engine_declares_public():
    private = {
        f"{path.relative_to(ROOT)} uses scheduling.services.{name}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for name in _uses_of_the_engine(path)
        if name not in services.__all__
    }
    assert not private, sorted(private)


def test_booking_reaches_the_engine_for_one_start_through_fit_alone():
    uses = set().union(
        *(_uses_of_the_engine(ROOT / "radiology" / "services" / f"{m}.py") for m in ("booking", "slots"))
    )
    assert "fit" in uses
    assert not uses & {"_FreeTime", "_pick", "FreeTime", "first_fit", "is_free"}

"""The layout rule of docs/architecture.md, read from the source: services and selectors
never import a page area, no page area imports another, and the generic apps import nothing
of radiology's."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE_AREAS = ["scheduler", "workday", "dashboard", "portal", "api", "orders", "hl7", "dicom", "fhir"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(folder: Path):
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def _violations(files, forbidden_prefixes):
    found = []
    for path in files:
        for name in _imports(path):
            if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden_prefixes):
                found.append(f"{path.name} imports {name}")
    return found


def test_services_and_selectors_import_no_page_area():
    files = [*_modules(ROOT / "radiology" / "services"), ROOT / "radiology" / "selectors.py"]
    assert not _violations(files, [f"radiology.{area}" for area in PAGE_AREAS])


@pytest.mark.parametrize("area", PAGE_AREAS)
def test_no_page_area_imports_another(area):
    others = [f"radiology.{other}" for other in PAGE_AREAS if other != area]
    assert not _violations(_modules(ROOT / "radiology" / area), others)


@pytest.mark.parametrize("app", ["procedures", "scheduling", "notifications"])
def test_the_generic_apps_know_nothing_of_radiology(app):
    assert not _violations(_modules(ROOT / app), ["radiology"])


def test_the_rule_finds_a_violation_when_there_is_one(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from radiology.workday import views\n")
    assert "bad.py imports radiology.workday.views" in _violations([bad], ["radiology.workday"])

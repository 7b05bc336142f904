"""The layout rule of docs/architecture.md, read from the folders.

radiology/ has a core at the bottom (models, rules, selectors, services, encoders and the
shared presentation) and two wings above it: radiology/pages/<area> and
radiology/interfaces/<door>. Every folder under a wing is one package of that wing, found on
disk, never listed here. A wing package imports only the core: never a sibling, never the
other wing. The core imports neither wing. Only the wiring at the top (URLs, admin, apps,
management commands) puts wings together. The generic apps import nothing of radiology's.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RADIOLOGY = ROOT / "radiology"
WINGS = ("pages", "interfaces")
# The top floor: it joins the wings into one site and one set of commands.
WIRING = {"urls.py", "admin.py", "time_off_admin.py", "apps.py", "management"}


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
                found.append(f"{path.relative_to(path.anchor)} imports {name}")
    return found


def _wing_packages() -> list[tuple[str, str]]:
    return [
        (wing, folder.name)
        for wing in WINGS
        for folder in sorted((RADIOLOGY / wing).iterdir())
        if folder.is_dir() and (folder / "__init__.py").exists()
    ]


def _core_files():
    return [path for path in _modules(RADIOLOGY) if path.relative_to(RADIOLOGY).parts[0] not in (*WINGS, *WIRING)]


def test_the_wings_are_found_on_disk():
    packages = {f"{wing}.{name}" for wing, name in _wing_packages()}
    assert {"pages.scheduler", "pages.patients", "interfaces.ics", "interfaces.hl7"} <= packages
    # Nothing of a wing sits loose beside its packages.
    for wing in WINGS:
        assert {p.name for p in (RADIOLOGY / wing).glob("*.py")} == {"__init__.py"}


@pytest.mark.parametrize(("wing", "package"), _wing_packages(), ids=lambda value: value)
def test_a_wing_package_imports_no_sibling_and_not_the_other_wing(wing, package):
    others = [
        f"radiology.{other_wing}.{other}"
        for other_wing, other in _wing_packages()
        if (other_wing, other) != (wing, package)
    ]
    # Nor the wiring above both wings.
    others += [f"radiology.{name.removesuffix('.py')}" for name in WIRING]
    assert not _violations(_modules(RADIOLOGY / wing / package), others)


def test_the_core_imports_neither_wing():
    assert not _violations(_core_files(), [f"radiology.{wing}" for wing in WINGS])


@pytest.mark.parametrize("app", ["procedures", "scheduling", "notifications"])
def test_the_generic_apps_know_nothing_of_radiology(app):
    assert not _violations(_modules(ROOT / app), ["radiology"])


def test_the_rule_finds_a_violation_when_there_is_one(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from radiology.pages.workday import views\n")
    assert any(
        v.endswith("imports radiology.pages.workday.views") for v in _violations([bad], ["radiology.pages.workday"])
    )

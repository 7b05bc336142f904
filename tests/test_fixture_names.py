"""A test file's fixture never takes the name of a fixture from a conftest.py above it: a
reader who sees `scheduler` or `dept` in a test expects the shared one. A fixture that really
differs gets a name of its own."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _fixtures(path: Path) -> dict[str, int]:
    """Fixture name → line, for every @pytest.fixture in the file (name= honoured)."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if ast.unparse(target) not in ("pytest.fixture", "fixture"):
                continue
            name = node.name
            for keyword in getattr(decorator, "keywords", []):
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    name = keyword.value.value
            found[name] = node.lineno
    return found


def _conftests_above(path: Path):
    folder = path.parent.parent if path.name == "conftest.py" else path.parent
    while folder.is_relative_to(TESTS):
        if (folder / "conftest.py").exists():
            yield folder / "conftest.py"
        folder = folder.parent


def test_no_test_file_or_conftest_shadows_a_fixture_of_a_conftest_above_it():
    shadowed = []
    for path in sorted(TESTS.rglob("*.py")):
        own = _fixtures(path)
        for conftest in _conftests_above(path):
            shared = _fixtures(conftest)
            shadowed += [
                f"{path.relative_to(TESTS)}:{line} {name} (shared in {conftest.relative_to(TESTS)})"
                for name, line in own.items()
                if name in shared
            ]
    assert shadowed == []

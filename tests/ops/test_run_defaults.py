"""Issue 9, defects 1, 2 and 4: what `make run` starts must work outside the test suite."""

import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.ops.support import PRODUCTION, ROOT, child_env, manage, run_python

# What the three `make run` processes import on a PostgreSQL + Redis deployment.
RUNTIME_IMPORTS = [
    "config.wsgi",
    "config.urls",  # every view module, hence every library a page or the API imports
    "radiology.management.commands.hl7_listener",  # the Procfile's interface listeners
    "radiology.management.commands.worklist_scp",
    "config.celery",
    "gunicorn.app.wsgiapp",
    "celery.bin.celery",
    "kombu.transport.redis",
    "celery.backends.redis",
    "psycopg",
    "prometheus_client.multiprocess",
]


def _closure(requirement_lines: list[str]) -> set[str]:
    """Every distribution that installing these requirements brings, extras included."""
    seen: set[str] = set()
    todo = [Requirement(line) for line in requirement_lines]
    while todo:
        req = todo.pop()
        name = metadata.distribution(req.name).metadata["Name"].lower().replace("_", "-")
        key = f"{name}[{','.join(sorted(req.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        for dep in metadata.requires(req.name) or []:
            child = Requirement(dep)
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in (req.extras or {""})):
                todo.append(child)
    return {key for key in seen if "[" not in key}


def test_requirements_txt_alone_declares_every_distribution_the_runtime_imports():
    # `packaging` came only from the dev requirements, so `make test` passed while the worker
    # of a fresh `make run` died importing kombu's Redis transport. The child process below
    # cannot import what requirements.txt does not bring (as on a fresh machine); optional
    # imports fall back as they would there, required ones fail the test.
    lines = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip() and not line.startswith("-")
    ]
    declared = _closure(lines)
    undeclared_modules = sorted(
        module
        for module, dists in metadata.packages_distributions().items()
        if not {d.lower().replace("_", "-") for d in dists} & declared and module not in sys.stdlib_module_names
    )
    assert "packaging" not in undeclared_modules, "requirements.txt must bring packaging (kombu's Redis transport)"
    probe = (
        "import importlib, importlib.abc, sys, os\n"
        f"BLOCKED = set({undeclared_modules!r})\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED: raise ModuleNotFoundError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
        "import django; django.setup()\n"
        f"for name in {RUNTIME_IMPORTS!r}: importlib.import_module(name)\n"
        "print('imported')"
    )
    result = run_python(probe, REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("imported")


def test_collectstatic_succeeds_with_production_settings_and_pages_use_hashed_files(tmp_path, client, db, settings):
    # The vendored Bootstrap pointed at .map files that are not shipped: collectstatic failed,
    # and without it every production page was a 500 (missing manifest entry).
    result = manage("collectstatic", "--noinput", "-v", "0", **PRODUCTION, DJANGO_STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    page = client.get("/accounts/login/")

    assert page.status_code == 200
    hashed = re.search(r"/static/vendor/bootstrap\.min\.[0-9a-f]{12}\.css", page.content.decode())
    assert hashed, "the login page should link the hashed Bootstrap file"
    assert (tmp_path / hashed.group(0).removeprefix("/static/")).exists()


def test_no_vendored_file_points_at_a_source_map_we_do_not_ship():
    for path in (ROOT / "static").rglob("*"):
        if path.suffix in {".css", ".js"}:
            for target in re.findall(r"sourceMappingURL=(\S+?)(?:\s|\*/|$)", path.read_text()):
                assert (path.parent / target).exists(), f"{path.name} references missing {target}"


@pytest.mark.parametrize("environment", [{}, PRODUCTION])
def test_debug_pages_are_off_unless_django_debug_is_set(environment):
    result = run_python(
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
        "from django.conf import settings; print(settings.DEBUG)",
        **environment,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_debug_pages_are_on_when_django_debug_says_so():
    result = run_python(
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
        "from django.conf import settings; print(settings.DEBUG)",
        DJANGO_DEBUG="true",
    )
    assert result.stdout.strip() == "True"


def test_a_404_without_django_debug_lists_no_url_patterns(client, db, settings):
    settings.DEBUG = False  # what the default now is, see above
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"URLconf" not in response.content and b"api/v1/" not in response.content


def _gunicorn_config(monkeypatch, tmp_path, **env) -> dict:
    for name in ("HOST", "PORT", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))


def test_gunicorn_listens_on_loopback_unless_host_says_otherwise(monkeypatch, tmp_path):
    assert _gunicorn_config(monkeypatch, tmp_path)["bind"] == "127.0.0.1:8000"
    assert _gunicorn_config(monkeypatch, tmp_path, HOST="0.0.0.0", PORT="25000")["bind"] == "0.0.0.0:25000"  # noqa: S104


def test_gunicorn_runs_web_concurrency_workers_default_two(monkeypatch, tmp_path):
    assert _gunicorn_config(monkeypatch, tmp_path)["workers"] == 2
    assert _gunicorn_config(monkeypatch, tmp_path, WEB_CONCURRENCY="4")["workers"] == 4


def test_make_run_serves_with_gunicorn_on_the_loopback_address_by_default():
    procfile = (ROOT / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert "gunicorn -c config/gunicorn.conf.py config.wsgi" in web
    everywhere = "0.0.0.0"  # noqa: S104
    assert everywhere not in (ROOT / "Procfile").read_text() + (ROOT / "Procfile.dev").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "HOST ?= 127.0.0.1" in makefile
    assert "\nrun: seed static\n" in makefile  # collectstatic before the server starts


def test_make_dev_refuses_production_before_installing_anything():
    import subprocess

    result = subprocess.run(
        ["make", "dev", "VENV=/nonexistent-venv"],  # noqa: S607
        cwd=ROOT,
        env={**child_env(), "DJANGO_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "not with DJANGO_ENV=production" in result.stdout
    assert not Path("/nonexistent-venv").exists()


def test_the_access_log_masks_patient_link_tokens():
    from config.gunicorn_logging import redact

    assert redact("/p/42/AbC.signed-token_1:xyz/confirm/") == "/p/42/[token]/confirm/"
    assert redact("/day/2026-03-02/") == "/day/2026-03-02/"


def test_database_connections_persist_with_health_checks_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("DJANGO_CONN_MAX_AGE", raising=False)
    code = (
        "import importlib, os; import config.settings as s; d = s.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']);"
        "os.environ['DJANGO_CONN_MAX_AGE'] = '0'; d = importlib.reload(s).DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    result = run_python(code)
    assert result.stdout.split() == ["60", "True", "0", "True"], result.stderr


def _files_while_serving(home: Path, **env) -> set[str]:
    """gunicorn as `make run` starts it, HOME at `home`: the files under `home` once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics = home.parent / f"metrics-{port}"
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=child_env(
            HOME=str(home), PORT=str(port), WEB_CONCURRENCY="1", PROMETHEUS_MULTIPROC_DIR=str(metrics), **env
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)  # noqa: S310 - loopback
                break
            except urllib.error.HTTPError:
                break  # it answered (503 without a beat here): the server is up
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        return {str(path.relative_to(home)) for path in home.rglob("*")}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_has_no_control_socket_shared_by_every_instance_on_the_host(tmp_path):
    # gunicorn's default, ~/.gunicorn/gunicorn.ctl, is one socket per user: the last instance to
    # start took it over, the first to stop deleted it. None unless asked for, at its own path.
    home = tmp_path / "home"
    home.mkdir()
    assert _files_while_serving(home) == set()
    assert _files_while_serving(home, GUNICORN_CONTROL_SOCKET=str(home / "web-8001.ctl")) == {"web-8001.ctl"}

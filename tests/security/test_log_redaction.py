"""Secrets out of the logs (issue #23): the tokens of patient links and calendar feeds are
masked in Django's request log (404, 429, CSRF refusals), runserver's and gunicorn's access
logs. Read from the handlers the settings configure, as an operator would read them."""

import io
import logging
import runpy
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client

from radiology.services.calendar_feeds import issue_calendar_feed, revoke_calendar_feed
from radiology.services.patient_links import make_token, patient_path
from security.log_redaction import RedactSecretsFilter, redact
from tests.factories import AppointmentFactory, StaffMemberFactory
from tests.ops.support import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """What the configured handlers write (their streams swapped for one buffer)."""
    buffer = io.StringIO()
    handlers = [
        h
        for name in ("", "django.server")
        for h in logging.getLogger(name).handlers
        if any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    ]
    assert handlers, "the settings put the redacting filter on the console handlers"
    previous = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def test_a_valid_patient_link_on_a_404_is_logged_without_its_token(client, log_output):
    appointment = AppointmentFactory()
    token = make_token(appointment.pk)

    response = client.get(f"/p/{appointment.pk}/{token}/no-such-page/")

    assert response.status_code == 404
    assert f"/p/{appointment.pk}/[token]/no-such-page/" in log_output.getvalue()
    assert token not in log_output.getvalue()


def test_the_rate_limited_page_is_logged_without_the_token(client, settings, log_output):
    settings.PATIENT_PAGE_RATE_LIMIT = "1/m"
    path = patient_path(AppointmentFactory().pk)

    codes = [client.get(path).status_code for _ in range(2)]

    assert codes == [200, 429]
    assert "Too Many Requests" in log_output.getvalue()
    assert path.split("/")[3] not in log_output.getvalue()


def test_a_csrf_refusal_on_her_page_is_logged_without_the_token(log_output):
    path = patient_path(AppointmentFactory().pk)

    response = Client(enforce_csrf_checks=True).post(path + "confirm/")

    assert response.status_code == 403
    assert "Forbidden (CSRF" in log_output.getvalue()
    assert path.split("/")[3] not in log_output.getvalue()


def test_a_revoked_calendar_feed_is_logged_without_its_token(client, log_output):
    member = StaffMemberFactory()
    path = issue_calendar_feed(actor=member.user, staff=member)
    revoke_calendar_feed(actor=member.user, staff=member)

    assert client.get(path).status_code == 404
    assert f"/cal/staff/{member.pk}/[token].ics" in log_output.getvalue()
    assert path.rsplit("/", 1)[1] not in log_output.getvalue()


def test_other_addresses_are_logged_as_they_are():
    assert redact("Not Found: /day/2026-03-02/ and /api/v1/appointments/7/") == (
        "Not Found: /day/2026-03-02/ and /api/v1/appointments/7/"
    )
    assert redact('"GET /cal/room/3/Ab-_c.ics HTTP/1.1" 200') == '"GET /cal/room/3/[token].ics HTTP/1.1" 200'
    assert redact("/accounts/unlock/MQ:1t2:abc/") == "/accounts/unlock/[token]/"


def _gunicorn_logger(tmp_path, monkeypatch):
    """gunicorn's logger as config/gunicorn.conf.py sets it up, writing to files."""
    from gunicorn.config import Config

    # The file sets PROMETHEUS_MULTIPROC_DIR if unset: set for this test only, or every process
    # a later test starts would look for a metrics folder that is gone.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    cfg = Config()
    settings = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    for name in ("access_log_format", "logger_class"):
        cfg.set(name, settings[name])
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    return cfg.logger_class(cfg)


def _access(logger, path: str, *, referer: str = "-") -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": referer,
    }
    response = SimpleNamespace(status="404 Not Found", sent=0, headers=[])
    logger.access(response, SimpleNamespace(headers=[("REFERER", referer)]), environ, timedelta(milliseconds=3))


def test_gunicorn_logs_mask_patient_link_and_feed_tokens(tmp_path, monkeypatch):
    logger = _gunicorn_logger(tmp_path, monkeypatch)
    link, feed = "/p/7/SECRETLINK0:abc/", "/cal/staff/7/SECRETFEED0token.ics"
    # The request line and the referrer too, as an operator's own format might print them.
    logger.cfg.set("access_log_format", '%(h)s "%(r)s" %(U)s %(s)s "%(f)s"')

    _access(logger, link)
    _access(logger, feed)
    _access(logger, "/static/css/app.css", referer=f"https://imaging.example.org{link}")
    logger.error("Error handling request %s", link)  # gunicorn's own error line
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.flush()

    access = (tmp_path / "access.log").read_text()
    errors = (tmp_path / "error.log").read_text()
    assert '"GET /p/7/[token]/ HTTP/1.1" /p/7/[token]/ 404' in access
    assert '"GET /cal/staff/7/[token].ics HTTP/1.1" /cal/staff/7/[token].ics 404' in access
    assert '"https://imaging.example.org/p/7/[token]/"' in access
    assert "Error handling request /p/7/[token]/" in errors
    assert "SECRET" not in access + errors


def test_the_deployed_access_log_format_prints_the_masked_path(tmp_path, monkeypatch):
    logger = _gunicorn_logger(tmp_path, monkeypatch)

    _access(logger, "/cal/room/3/SECRETROOM0.ics")
    logger.access_log.handlers[0].flush()

    assert '"GET /cal/room/3/[token].ics" 404' in (tmp_path / "access.log").read_text()

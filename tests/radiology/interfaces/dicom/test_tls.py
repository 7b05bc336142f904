"""The worklist over TLS (config/tls.py, WORKLIST_TLS_*), as a hospital's security office
sets it up: dcmtk's findscu with the modality's certificate gets the day's items; a
modality without TLS, or with a certificate the hospital's CA did not sign, gets nothing."""

import subprocess

import pytest

from tests.radiology.interfaces.dicom.conftest import accessions

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("dcmtk")]


@pytest.fixture
def tls_server(settings, pki):
    from radiology.interfaces.dicom import scp

    settings.WORKLIST_TLS_CERT, settings.WORKLIST_TLS_KEY = pki.server.cert, pki.server.key
    settings.WORKLIST_TLS_CA = pki.ca
    server = scp.start(bind="127.0.0.1", port=0, ae_title="GALACTO", block=False)
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def findscu(port, out, *tls_options):
    command = ["findscu", "-W", *tls_options, "-aet", "MAMMO1", "-aec", "GALACTO", "-X", "-od", str(out)]
    command += ["-k", "AccessionNumber", "-k", "ScheduledProcedureStepSequence[0].ScheduledStationAETitle="]
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([*command, "127.0.0.1", str(port)], capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    from pydicom import dcmread

    return result, [dcmread(path) for path in sorted(out.glob("rsp*.dcm"))]


def test_a_modality_with_the_hospitals_certificate_gets_its_worklist(tls_server, worklist_day, pki, tmp_path):
    result, replies = findscu(tls_server, tmp_path / "out", "+tls", pki.client.key, pki.client.cert, "+cf", pki.ca)
    assert result.returncode == 0, result.stderr
    assert {"ACC0001", "ACC0002", "ACC0003"} <= accessions(replies)


def test_a_modality_without_tls_gets_nothing(tls_server, worklist_day, tmp_path):
    result, replies = findscu(tls_server, tmp_path / "out")
    assert result.returncode != 0 and replies == []


def test_a_certificate_from_another_ca_gets_nothing(tls_server, worklist_day, pki, tmp_path):
    result, replies = findscu(tls_server, tmp_path / "out", "+tls", pki.stranger.key, pki.stranger.cert, "+cf", pki.ca)
    assert result.returncode != 0 and replies == []


def test_anonymous_tls_without_a_certificate_gets_nothing(tls_server, worklist_day, pki, tmp_path):
    result, replies = findscu(tls_server, tmp_path / "out", "+tla", "+cf", pki.ca)
    assert result.returncode != 0 and replies == []

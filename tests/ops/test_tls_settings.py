"""TLS settings (config/tls.py): unset means plain TCP; a path that is not there stops the
service at start with the setting's name, not at the first modality's connection."""

import ssl

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import tls


def test_no_certificate_means_plain_tcp():
    assert tls.server_context(cert="", key="", ca="", prefix="HL7") is None
    assert tls.client_context(ca="", prefix="HL7_OUT") is None


def test_a_missing_file_names_the_setting(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="WORKLIST_TLS_CERT: no file at"):
        tls.server_context(cert=str(tmp_path / "nowhere.crt"), key="", prefix="WORKLIST")


def test_contexts_refuse_anything_older_than_tls_1_2_and_check_peers(pki):
    server = tls.server_context(cert=pki.server.cert, key=pki.server.key, ca=pki.ca, prefix="HL7")
    client = tls.client_context(ca=pki.ca, prefix="HL7_OUT")
    assert server.minimum_version == client.minimum_version == ssl.TLSVersion.TLSv1_2
    assert server.verify_mode == client.verify_mode == ssl.CERT_REQUIRED
    assert client.check_hostname
    without_ca = tls.server_context(cert=pki.server.cert, key=pki.server.key, prefix="HL7")
    assert without_ca.verify_mode == ssl.CERT_NONE  # TLS, with no client certificate asked for

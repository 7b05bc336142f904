"""TLS for the department's interfaces: the DICOM service, the HL7 listener and the HL7 sender.

A hospital's security office asks for the IHE ATNA "secure node": TLS with certificates on
both ends (the peer's certificate checked against the hospital's CA) and no protocol older
than TLS 1.2 (BCP 195, which the DICOM TLS profiles follow). Each interface has its own
settings (docs/interfaces.md); with no certificate set it stays plain TCP, as on a closed
modality network. Built on the standard library's ssl module, which pynetdicom and the
socket servers take as is.
"""

import ssl
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def _readable(path: str, setting: str) -> str:
    if not Path(path).is_file():
        raise ImproperlyConfigured(f"{setting}: no file at {path}")
    return path


def server_context(*, cert: str, key: str, ca: str = "", prefix: str) -> ssl.SSLContext | None:
    """For a listener: our certificate and key; with `ca`, peers must present a certificate
    that CA signed (mutual TLS). None when no certificate is configured."""
    if not cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(_readable(cert, f"{prefix}_TLS_CERT"), _readable(key or cert, f"{prefix}_TLS_KEY"))
    if ca:
        context.load_verify_locations(_readable(ca, f"{prefix}_TLS_CA"))
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(*, ca: str, cert: str = "", key: str = "", prefix: str) -> ssl.SSLContext | None:
    """For a sender: the receiver's certificate is checked against `ca` (and its name against
    the host we connect to); with `cert`, we present ours. None when no CA is configured."""
    if not ca:
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=_readable(ca, f"{prefix}_TLS_CA"))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert:
        context.load_cert_chain(_readable(cert, f"{prefix}_TLS_CERT"), _readable(key or cert, f"{prefix}_TLS_KEY"))
    return context


def peer_name(sock) -> str:
    """The subject common name of a verified peer certificate, for the logs; "" otherwise."""
    getpeercert = getattr(sock, "getpeercert", None)
    certificate = getpeercert() if getpeercert else None
    for rdn in (certificate or {}).get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return value
    return ""

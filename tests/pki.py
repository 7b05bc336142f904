"""A hospital's certificates for the TLS tests, made with the openssl command: a CA, the
product's server certificate (localhost, 127.0.0.1), a modality's or interface engine's
client certificate signed by that CA, and one from a CA nobody trusts."""

import subprocess
from dataclasses import dataclass
from pathlib import Path

LEAF_EXTENSIONS = """basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=DNS:localhost,IP:127.0.0.1
"""


@dataclass(frozen=True)
class Pair:
    cert: str
    key: str


@dataclass(frozen=True)
class Pki:
    ca: str
    server: Pair
    client: Pair
    stranger: Pair  # signed by another CA


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)  # noqa: S603, S607


def _ca(name: str, directory: Path) -> Pair:
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    return Pair(str(directory / f"{name}.crt"), str(directory / f"{name}.key"))


def _leaf(name: str, common_name: str, ca: Pair, directory: Path) -> Pair:
    (directory / "leaf.ext").write_text(LEAF_EXTENSIONS)
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
        "-subj", f"/CN={common_name}",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial",
        "-days", "2", "-out", f"{name}.crt", "-extfile", "leaf.ext",
        cwd=directory,
    )  # fmt: skip
    return Pair(str(directory / f"{name}.crt"), str(directory / f"{name}.key"))


def make_pki(directory: Path) -> Pki:
    hospital, other = _ca("hospital-ca", directory), _ca("other-ca", directory)
    return Pki(
        ca=hospital.cert,
        server=_leaf("server", "localhost", hospital, directory),
        client=_leaf("client", "MAMMO1", hospital, directory),
        stranger=_leaf("stranger", "MAMMO1", other, directory),
    )

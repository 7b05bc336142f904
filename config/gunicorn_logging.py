"""gunicorn's access log without secrets: a patient link's path holds its signed token
(/p/<id>/<token>/), which opens the patient's page; logs are read by more people than that."""

import re

from gunicorn.glogging import Logger

PATIENT_LINK = re.compile(r"^(/p/\d+/)[^/]+")


def redact(path: str) -> str:
    return PATIENT_LINK.sub(r"\1[token]", path)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact(atoms.get("U", ""))
        return atoms

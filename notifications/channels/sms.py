"""SMS backends, chosen by settings.SMS_BACKEND.

FileSMSBackend (demo): one JSON file per message under SMS_FILE_PATH, named after the
idempotency key; a second send with the same key is answered with the first one's id,
like a gateway honouring an Idempotency-Key header.
ConsoleSMSBackend: logs the text (development).
HTTPSMSBackend (production): POST SMS_GATEWAY_URL with a JSON body and a bearer token.
"""

import hashlib
import json
import logging
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from notifications.channels import LookupUnsupported, Outgoing, PermanentError, TransientError

logger = logging.getLogger(__name__)


def _key_hash(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


class FileSMSBackend:
    def __init__(self, directory: str | None = None):
        self.directory = Path(directory or settings.SMS_FILE_PATH)

    def _path(self, idempotency_key: str) -> Path:
        return self.directory / f"{_key_hash(idempotency_key)}.json"

    def send(self, outgoing: Outgoing) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        provider_id = f"file-{_key_hash(outgoing.idempotency_key)[:16]}"
        body = {
            "id": provider_id,
            "to": outgoing.recipient,
            "text": outgoing.text,
            "idempotency_key": outgoing.idempotency_key,
            "at": timezone.now().isoformat(),
        }
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump(body, handle)
        try:
            os.link(tmp, self._path(outgoing.idempotency_key))  # atomic; fails if already there
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        return provider_id

    def lookup(self, idempotency_key: str) -> str | None:
        try:
            return json.loads(self._path(idempotency_key).read_text())["id"]
        except FileNotFoundError:
            return None


class ConsoleSMSBackend:
    def send(self, outgoing: Outgoing) -> str:
        logger.info("SMS to %s: %s", outgoing.recipient, outgoing.text)
        return f"console-{_key_hash(outgoing.idempotency_key)[:16]}"

    def lookup(self, idempotency_key: str) -> str | None:
        raise LookupUnsupported


class HTTPSMSBackend:
    """A JSON gateway: POST {"to", "text", "idempotency_key"} with `Authorization: Bearer`
    and `Idempotency-Key`; 2xx answers {"id": ...}. 4xx is final (except 408/429), 5xx,
    timeouts and refused connections are retried. GET <url>/<key> answers 200 {"id"} for a
    message it already has, 404 otherwise."""

    RETRYABLE_4XX = {408, 425, 429}

    def __init__(self):
        self.url = settings.SMS_GATEWAY_URL
        self.token = settings.SMS_GATEWAY_TOKEN
        self.timeout = settings.SMS_GATEWAY_TIMEOUT
        if not self.url.startswith(("https://", "http://")):
            raise PermanentError("SMS_GATEWAY_URL is not set to an http(s) URL")

    def _request(self, method: str, url: str, body: dict | None = None, idempotency_key: str = ""):
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - http(s) checked
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, {}
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise TransientError(f"SMS gateway unreachable: {type(error).__name__}") from error
        except ValueError as error:
            raise TransientError("SMS gateway answered something that is not JSON") from error

    def send(self, outgoing: Outgoing) -> str:
        status, answer = self._request(
            "POST",
            self.url,
            {"to": outgoing.recipient, "text": outgoing.text, "idempotency_key": outgoing.idempotency_key},
            idempotency_key=outgoing.idempotency_key,
        )
        if 200 <= status < 300:
            return str(answer.get("id") or answer.get("message_id") or "")
        if 400 <= status < 500 and status not in self.RETRYABLE_4XX:
            raise PermanentError(f"SMS gateway refused the message (HTTP {status})")
        raise TransientError(f"SMS gateway error (HTTP {status})")

    def lookup(self, idempotency_key: str) -> str | None:
        url = f"{self.url.rstrip('/')}/{urllib.parse.quote(idempotency_key, safe='')}"
        status, answer = self._request("GET", url)
        if status == 200:
            return str(answer.get("id") or "")
        if status == 404:
            return None
        if status in (405, 501):
            raise LookupUnsupported
        raise TransientError(f"SMS gateway lookup failed (HTTP {status})")

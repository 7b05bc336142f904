"""Versions of what the FHIR door answers: `meta.versionId` and the weak `ETag`, and
`If-None-Match` answered with 304 (FHIR http.html#versioning, #cread).

The version is a digest of the resource as it is sent (without the version itself): it
changes whenever anything the resource says changes, whichever table the change was in
(a patient's merge, an appointment's room, a schedule's working hours), and is the same on
every node. Reads, search entries and the results of $book and $cancel all carry it."""

import hashlib
import json

VERSION_LENGTH = 16


def versioned(resource: dict) -> dict:
    """The resource with meta.versionId set (in place; returned for convenience)."""
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k != "versionId"}
    content = {**resource, "meta": meta}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    resource["meta"] = {"versionId": digest[:VERSION_LENGTH], **meta}
    return resource


def etag(resource: dict) -> str:
    return f'W/"{resource["meta"]["versionId"]}"'


def not_modified(request, resource: dict) -> bool:
    """If-None-Match names this version (weak or strong form, one of a list, or `*`)."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    wanted = {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")}
    return "*" in wanted or resource["meta"]["versionId"] in wanted

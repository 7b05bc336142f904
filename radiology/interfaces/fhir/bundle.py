"""Searchset Bundles: total, self/next/previous links, absolute fullUrls, search.mode."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from radiology.interfaces.fhir.mapping import instant


def base_url(request) -> str:
    """The absolute service base, e.g. https://radiology.example.org/fhir/R4."""
    return request.build_absolute_uri(reverse("fhir:metadata")).rsplit("/", 1)[0]


def searchset(request, *, resource_type: str, page, query) -> dict:
    base = base_url(request)

    def link(offset: int) -> str:
        params = [*query.used, ("_count", query.count)]
        if offset:
            params.append(("_offset", offset))
        return f"{base}/{resource_type}?{urlencode(params)}"

    links = [{"relation": "self", "url": link(query.offset)}]
    if query.count and query.offset + query.count < page.total:
        links.append({"relation": "next", "url": link(query.offset + query.count)})
    if query.offset and query.count:
        links.append({"relation": "previous", "url": link(max(query.offset - query.count, 0))})
    entries = [
        {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
        for r in page.resources
    ]
    return _bundle(page.total, links, entries)


def collection_of_proposals(request, *, operation: str, proposals: list[dict], outcome: dict | None = None) -> dict:
    """$find's answer (and $book's on a conflict): proposed Appointments, which have no id
    yet, under urn:uuid fullUrls; an OperationOutcome first when there is one to tell."""
    entries = []
    if outcome is not None:
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    entries += [{"fullUrl": f"urn:uuid:{p.pop('_urn')}", "resource": p, "search": {"mode": "match"}} for p in proposals]
    links = [{"relation": "self", "url": f"{base_url(request)}/Appointment/{operation}"}]
    return _bundle(len(proposals), links, entries)


def _bundle(total: int, links: list[dict], entries: list[dict]) -> dict:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "total": total,
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return bundle

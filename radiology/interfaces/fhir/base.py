"""What every FHIR resource type is: its name, the permission to read it, its search
parameters, read and search. A type backed by one queryset (ModelResource) searches in one
round trip: the page with its total (COUNT(*) OVER ()), plus any fixed prefetches.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, Window

from procedures.models import Procedure
from radiology.interfaces.fhir import search
from radiology.interfaces.fhir.http import FhirError


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    documentation: str
    # The SearchParameter it implements, when not the default "<Type>-<name>" of the spec
    # (e.g. "clinical-patient"); "-" for a parameter of ours that no standard one defines.
    definition: str = ""


@dataclass
class Page:
    total: int
    resources: list[dict]


def galactogram() -> Procedure:
    procedure = Procedure.objects.filter(slug="galactogram", active=True).first()
    if procedure is None:
        raise FhirError("The galactogram is not in the procedure catalog.", status=404)
    return procedure


class ResourceType:
    name: str
    permission: str
    params: tuple[Param, ...] = ()

    def read(self, resource_id: str) -> dict:
        raise NotImplementedError

    def search(self, query: search.Query) -> Page:
        raise NotImplementedError

    def missing(self, resource_id: str) -> FhirError:
        return FhirError(f"There is no {self.name} with id “{resource_id}”.", status=404)


class ModelResource(ResourceType):
    """A resource type backed by one queryset."""

    def queryset(self):
        raise NotImplementedError

    def to_fhir(self, obj) -> dict:
        raise NotImplementedError

    def filters(self, query: search.Query) -> Q:
        return Q()

    def loaded(self, rows):
        """What to_fhir gets for each row: model instances unless a type says otherwise."""
        return rows

    def read(self, resource_id: str) -> dict:
        found = self.loaded(self.queryset().filter(pk=int(resource_id))).first() if resource_id.isdigit() else None
        if found is None:
            raise self.missing(resource_id)
        return self.to_fhir(found)

    def search(self, query: search.Query) -> Page:
        rows = self.queryset().filter(self.filters(query))
        if query.values("_id"):
            rows = rows.filter(pk__in=search.int_ids([i for v in query.values("_id") for i in v.split(",")]))
        if not query.count:
            return Page(total=rows.count(), resources=[])
        # The total rides along with the page (COUNT(*) OVER () is computed before LIMIT):
        # one round trip to the database instead of two.
        counted = self.loaded(rows).annotate(search_total=Window(Count("pk")))
        page = list(counted[query.offset : query.offset + query.count])
        if not page:
            return Page(total=rows.count(), resources=[])
        first = page[0]
        total = first["search_total"] if isinstance(first, dict) else first.search_total
        return Page(total=total, resources=[self.to_fhir(row) for row in page])

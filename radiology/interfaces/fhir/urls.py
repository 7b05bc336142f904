"""/fhir/R4/…: metadata, operations, then read and search for each resource type."""

from django.urls import path, re_path

from radiology.interfaces.fhir import views
from radiology.interfaces.fhir.http import NotFoundView

app_name = "fhir"

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("OperationDefinition/<str:resource_id>", views.OperationDefinitionView.as_view(), name="operation"),
    path("Appointment/$find", views.FindView.as_view(), name="find"),
    path("Appointment/$book", views.BookView.as_view(), name="book"),
    path("Appointment/$hold", views.HoldView.as_view(), name="hold"),
    path("Appointment/<str:resource_id>/$cancel", views.CancelView.as_view(), name="cancel"),
    path("<str:resource_type>", views.SearchView.as_view(), name="search"),
    path("<str:resource_type>/<str:resource_id>", views.ReadView.as_view(), name="read"),
    # Anything else under /fhir/R4/ is an OperationOutcome 404, not the site's HTML page.
    re_path(r"^.*$", NotFoundView.as_view(), name="not_found"),
]

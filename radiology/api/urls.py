from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from radiology.api import views

app_name = "api"

urlpatterns = [
    path("slots", views.SlotsView.as_view(), name="slots"),
    path("patients", views.PatientsView.as_view(), name="patients"),
    path("patients/<int:pk>", views.PatientDetailView.as_view(), name="patient"),
    path("appointments", views.AppointmentsView.as_view(), name="appointments"),
    path("appointments/<int:pk>", views.AppointmentDetailView.as_view(), name="appointment"),
    path("appointments/<int:pk>/reschedule", views.RescheduleView.as_view(), name="reschedule"),
    path("appointments/<int:pk>/cancel", views.CancelView.as_view(), name="cancel"),
    path("appointments/<int:pk>/transitions", views.TransitionsView.as_view(), name="transitions"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Anything else under /api/v1/ is a JSON 404, not the site's HTML page.
    re_path(r"^.*$", views.not_found, name="not_found"),
]

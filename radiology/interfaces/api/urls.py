from django.conf import settings
from django.urls import path, re_path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from radiology.interfaces.api import views

app_name = "api"

# Swagger UI and Redoc (third-party bundles) insert <style> elements while they run; on these
# two pages only, and only for styles, the policy allows that. Scripts still need the nonce.
docs_policy = csp_override(
    {
        **settings.SECURE_CSP,
        "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
        "worker-src": [CSP.SELF, "blob:"],
    }
)

urlpatterns = [
    path("slots", views.SlotsView.as_view(), name="slots"),
    path("patients", views.PatientsView.as_view(), name="patients"),
    path("patients/<int:pk>", views.PatientDetailView.as_view(), name="patient"),
    path("patients/<int:pk>/needs", views.PatientNeedsView.as_view(), name="patient_needs"),
    path("appointments", views.AppointmentsView.as_view(), name="appointments"),
    path("appointments/<int:pk>", views.AppointmentDetailView.as_view(), name="appointment"),
    path("appointments/<int:pk>/reschedule", views.RescheduleView.as_view(), name="reschedule"),
    path("appointments/<int:pk>/cancel", views.CancelView.as_view(), name="cancel"),
    path("appointments/<int:pk>/staff", views.RestaffView.as_view(), name="restaff"),
    path("appointments/<int:pk>/transitions", views.TransitionsView.as_view(), name="transitions"),
    path("appointments/<int:pk>/outcome/correction", views.OutcomeCorrectionView.as_view(), name="outcome_correction"),
    path("appointments/<int:pk>/report", views.ReportView.as_view(), name="report"),
    path("appointments/<int:pk>/report/addendum", views.ReportAddendumView.as_view(), name="report_addendum"),
    path("letters", views.LettersView.as_view(), name="letters"),
    path("letters/<int:pk>/pdf", views.LetterPdfView.as_view(), name="letter_pdf"),
    path("follow-ups", views.FollowUpsView.as_view(), name="follow_ups"),
    path("waiting-list", views.WaitingListView.as_view(), name="waiting_list"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", docs_policy(SpectacularSwaggerView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", docs_policy(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    # Anything else under /api/v1/ is a JSON 404, not the site's HTML page.
    re_path(r"^.*$", views.not_found, name="not_found"),
]

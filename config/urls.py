from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from security import views as security_views


class FaviconView(RedirectView):
    """Browsers and bots ask /favicon.ico whatever the page says: one redirect, not a 404."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Her own unlock link, asked for on the refused log-in page (security/unlock.py).
    path("accounts/unlock/", security_views.request_unlock, name="unlock_login_request"),
    path("accounts/unlock/<str:token>/", security_views.use_unlock, name="unlock_login"),
    path("favicon.ico", FaviconView.as_view()),
    path("admin/", admin.site.urls),
    path("api/v1/", include("radiology.interfaces.api.urls")),
    # FHIR R4 for the EHR and the portal (radiology/fhir, docs/interfaces.md).
    path("fhir/R4/", include("radiology.interfaces.fhir.urls")),
    path("messages/", include("notifications.urls")),
    # DICOM MPPS steps that need a person (radiology/dicom).
    path("modality-steps/", include("radiology.interfaces.dicom.urls")),
    path("security/", include("security.urls")),
    # The SMS gateway's inbound webhooks: public, signed (docs/interfaces.md "Inbound SMS").
    path("sms/", include("radiology.interfaces.sms.urls")),
    path("cal/", include("radiology.interfaces.ics.urls")),  # iCalendar feeds (docs/interfaces.md)
    path("", include("monitoring.urls")),  # h-ops: /healthz, /metrics
    path("", include("radiology.urls")),
]

# Error pages in the site's layout (JSON under /api/); see security/errors.py.
handler400 = "security.errors.bad_request"
handler403 = "security.errors.permission_denied"
handler404 = "security.errors.page_not_found"
handler500 = "security.errors.server_error"

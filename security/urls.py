from django.urls import path

from security import views

app_name = "security"

urlpatterns = [
    path("access-log/", views.access_log_page, name="access_log"),
    path("lockouts/", views.lockouts_page, name="lockouts"),
    path("lockouts/unlock/", views.unlock, name="unlock"),
]

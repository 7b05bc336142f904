from django.urls import include, path

from radiology import views

app_name = "radiology"

urlpatterns = [
    path("", views.home, name="home"),
    path("appointments/", views.appointment_list, name="appointment_list"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/transition/", views.appointment_transition, name="appointment_transition"),
    # Each area keeps its own URLs (scheduler pages, day list and workflow, patient portal).
    path("", include("radiology.scheduler.urls")),
    path("", include("radiology.daylist.urls")),
    path("p/", include("radiology.portal.urls")),
    path("todo/", include("radiology.reminder_urls")),
]

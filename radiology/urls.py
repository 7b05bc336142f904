from django.urls import include, path

from radiology import views

app_name = "radiology"

urlpatterns = [
    path("", views.home, name="home"),
    path("appointments/", views.appointment_list, name="appointment_list"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    # Each area keeps its own URLs: scheduler pages and to-do, day list and procedure actions,
    # dashboard, patient portal.
    path("", include("radiology.scheduler.urls")),
    path("", include("radiology.workday.urls")),
    path("", include("radiology.dashboard.urls")),
    path("p/", include("radiology.portal.urls")),
    # Orders (work queue, order page) and the HL7 interface messages page.
    path("", include("radiology.orders.urls")),
    path("", include("radiology.hl7.urls")),
]

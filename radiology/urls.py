from django.urls import include, path

from radiology.pages.appointments import views

app_name = "radiology"

urlpatterns = [
    path("", views.home, name="home"),
    path("appointments/", views.appointment_list, name="appointment_list"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("follow-ups/<int:pk>/", views.follow_up_update, name="follow_up_update"),
    # Each area keeps its own URLs: scheduler pages and to-do, day list and procedure actions,
    # dashboard, patient portal.
    path("", include("radiology.pages.scheduler.urls")),
    path("", include("radiology.pages.workday.urls")),
    path("", include("radiology.pages.dashboard.urls")),
    path("p/", include("radiology.pages.portal.urls")),
    # Orders (work queue, order page) and the HL7 interface messages page.
    path("", include("radiology.pages.orders.urls")),
    path("", include("radiology.interfaces.hl7.urls")),
    # Patient search (top bar) and the patient page (issue 10, item 7).
    path("", include("radiology.pages.patients.urls")),
    # The radiologists' reports: exams to report, the report page (issue 19, part B).
    path("", include("radiology.pages.reports.urls")),
    # Result letters: the lists, the print queue, sending (issue 20 A).
    path("", include("radiology.pages.letters.urls")),
    # Patients' texts that need a person (issue 21 A).
    path("", include("radiology.pages.inbox.urls")),
]

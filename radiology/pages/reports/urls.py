from django.urls import path

from radiology.pages.reports import views

urlpatterns = [
    path("reports/", views.reports_to_write, name="reports_to_write"),
    path("appointments/<int:pk>/report/", views.report_page, name="report"),
    path("appointments/<int:pk>/report/addendum/", views.report_addendum, name="report_addendum"),
]

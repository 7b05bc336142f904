from django.urls import path

from radiology.pages.dashboard import views

urlpatterns = [
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/lost-to-follow-up/", views.lost_to_follow_up, name="lost_to_follow_up"),
    path("dashboard/export.csv", views.dashboard_export, name="dashboard_export"),
]

from django.urls import path

from radiology.workday import views

urlpatterns = [
    path("day/", views.day_list, name="day_list"),
    path("day/<str:day>/", views.day_list, name="day_list_for"),
    path("worklist/radiologist/", views.radiologist_list, name="radiologist_list"),
    path("appointments/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("appointments/<int:pk>/start/", views.start, name="start_procedure"),
    path("appointments/<int:pk>/complete/", views.complete, name="complete_procedure"),
    path("appointments/<int:pk>/abort/", views.abort, name="abort_procedure"),
    path("appointments/<int:pk>/did-not-proceed/", views.did_not_proceed, name="did_not_proceed"),
    path("appointments/<int:pk>/no-show/", views.no_show, name="no_show"),
    path("appointments/<int:pk>/follow-up/", views.follow_up, name="follow_up"),
]

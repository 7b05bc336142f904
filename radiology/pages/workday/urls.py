from django.urls import path

from radiology.pages.workday import views
from radiology.pages.workday.action_pages import action_page

urlpatterns = [
    path("day/", views.day_list, name="day_list"),
    path("day/<str:day>/", views.day_list, name="day_list_for"),
    path("worklist/radiologist/", views.radiologist_list, name="radiologist_list"),
    # Each action's page, named in the action table (radiology/services/action_table.py).
    path("appointments/<int:pk>/check-in/", action_page, {"action": "check_in"}, name="check_in"),
    path("appointments/<int:pk>/start/", action_page, {"action": "start"}, name="start_procedure"),
    path("appointments/<int:pk>/complete/", action_page, {"action": "complete"}, name="complete_procedure"),
    path("appointments/<int:pk>/abort/", action_page, {"action": "abort"}, name="abort_procedure"),
    path("appointments/<int:pk>/did-not-proceed/", action_page, {"action": "did_not_proceed"}, name="did_not_proceed"),
    path("appointments/<int:pk>/no-show/", action_page, {"action": "no_show"}, name="no_show"),
    path("appointments/<int:pk>/follow-up/", action_page, {"action": "arrange_follow_up"}, name="follow_up"),
]

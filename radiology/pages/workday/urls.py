from django.urls import path

from radiology.pages.workday import labels, views
from radiology.pages.workday.action_pages import action_page
from radiology.pages.workday.outcome_correction import correct_outcome_page
from radiology.services.action_table import ACTIONS

urlpatterns = [
    path("day/", views.day_list, name="day_list"),
    path("day/<str:day>/", views.day_list, name="day_list_for"),
    path("worklist/radiologist/", views.radiologist_list, name="radiologist_list"),
    path("appointments/<int:pk>/outcome/correct/", correct_outcome_page, name="correct_outcome"),
    path("appointments/<int:pk>/label.pdf", labels.label, {"layout": "label"}, name="patient_label"),
    path("appointments/<int:pk>/wristband.pdf", labels.label, {"layout": "wristband"}, name="wristband"),
    # Each action's page, as its row in the action table names it (radiology/services/action_table.py).
    *(
        path(f"appointments/<int:pk>/{spec.path}/", action_page, {"action": spec.name}, name=spec.url_name)
        for spec in ACTIONS.values()
        if spec.path
    ),
]

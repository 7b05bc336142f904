from django.urls import path

from radiology.interfaces.dicom import views

app_name = "dicom"
urlpatterns = [
    path("", views.needs_attention, name="needs_attention"),
    path("<int:pk>/complete/", views.complete_step, name="complete_step"),
    path("<int:pk>/link/", views.link_step_view, name="link_step"),
    path("<int:pk>/dismiss/", views.dismiss_step_view, name="dismiss_step"),
]

from django.urls import path

from radiology.dicom import views

app_name = "dicom"
urlpatterns = [
    path("", views.needs_attention, name="needs_attention"),
    path("<int:pk>/complete/", views.complete_step, name="complete_step"),
]

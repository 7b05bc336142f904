from django.urls import path

from radiology.pages.patients import views

urlpatterns = [
    path("patients/", views.patient_search, name="patient_search"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/contact/", views.patient_contact, name="patient_contact"),
    path("patients/<int:pk>/needs/", views.patient_needs, name="patient_needs"),
    path("patients/<int:pk>/waiting-list/", views.patient_waiting_list, name="patient_waiting_list"),
]

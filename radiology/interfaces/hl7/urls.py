from django.urls import path

from radiology.interfaces.hl7 import views

# Mounted at the site root inside the "radiology" namespace (see radiology/urls.py).
urlpatterns = [
    path("interfaces/messages/", views.interface_messages, name="interface_messages"),
    path("interfaces/messages/<int:pk>/", views.interface_message, name="interface_message"),
]

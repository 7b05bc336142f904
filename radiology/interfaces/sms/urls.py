from django.urls import path

from radiology.interfaces.sms import views

app_name = "sms"

urlpatterns = [
    path("inbound/", views.inbound, name="inbound"),
    path("inbound/twilio/", views.inbound_twilio, name="inbound_twilio"),
]

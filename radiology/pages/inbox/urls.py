from django.urls import path

from radiology.pages.inbox import views

# Mounted at the site root inside the "radiology" namespace (see radiology/urls.py).
urlpatterns = [
    path("texts/", views.inbox, name="sms_inbox"),
    path("texts/<int:pk>/reply/", views.reply, name="sms_inbox_reply"),
    path("texts/<int:pk>/handled/", views.handled, name="sms_inbox_handled"),
]

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("problems/", views.problems, name="problems"),
    path("<int:pk>/send-again/", views.send_again, name="send_again"),
]

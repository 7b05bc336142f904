from django.urls import path

from radiology.interfaces.ics import views

app_name = "calendar_feeds"

urlpatterns = [
    path("", views.calendars, name="calendars"),
    path("mine/", views.my_feed, name="my_feed"),
    path("rooms/<int:room_id>/", views.room_feed, name="room_feed"),
    path("<str:kind>/<int:owner_id>/<str:token>.ics", views.feed, name="feed"),
]

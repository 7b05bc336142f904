from django.urls import path

from radiology import reminder_views

urlpatterns = [
    path("", reminder_views.todo, name="scheduler_todo"),
    path("<int:pk>/note/", reminder_views.todo_note, name="scheduler_todo_note"),
]

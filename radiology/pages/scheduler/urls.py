from django.urls import path

from radiology.pages.scheduler import outage, restaff, todo, views

# Mounted at the site root inside the "radiology" namespace (see radiology/urls.py).
urlpatterns = [
    path("schedule/", views.schedule_search, name="schedule_search"),
    path("schedule/book/", views.schedule_book, name="schedule_book"),
    path("schedule/booked/<int:pk>/", views.schedule_booked, name="schedule_booked"),
    path("schedule/patients/", views.patient_search, name="schedule_patient_search"),
    path("schedule/patients/new/", views.patient_new, name="schedule_patient_new"),
    path("schedule/week/", views.week_first_room, name="schedule_week_first"),
    path("schedule/week/<int:room_id>/", views.week_view, name="schedule_week"),
    path("todo/", todo.todo, name="scheduler_todo"),
    path("todo/<int:pk>/note/", todo.todo_note, name="scheduler_todo_note"),
    path("todo/patient/<int:pk>/note/", todo.todo_patient_note, name="scheduler_todo_patient_note"),
    path("todo/step/<int:pk>/done/", todo.todo_step_done, name="scheduler_todo_step_done"),
    path("todo/invitation/<int:pk>/done/", todo.todo_invitation_done, name="scheduler_todo_invitation_done"),
    path("appointments/<int:pk>/reschedule/", views.appointment_reschedule, name="appointment_reschedule"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:pk>/staff/", restaff.appointment_restaff, name="appointment_restaff"),
    path("outage/", outage.outage, name="outage"),
]

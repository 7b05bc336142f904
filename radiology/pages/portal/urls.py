from django.urls import path

from radiology.pages.portal import invitation, offer_views, views

app_name = "portal"

urlpatterns = [
    # An invitation to choose a time for an order (its own signed link, issue 21 C).
    path("invite/<int:pk>/<str:token>/", invitation.invitation, name="invitation"),
    path("<int:pk>/<str:token>/", views.home, name="home"),
    path("<int:pk>/<str:token>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/<str:token>/readiness/", views.readiness, name="readiness"),
    path("<int:pk>/<str:token>/another-time/", views.request_another_time, name="another_time"),
    path("<int:pk>/<str:token>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/<str:token>/new-time/", views.reschedule, name="reschedule"),
    path("<int:pk>/<str:token>/choose-new-time/", views.rebook, name="rebook"),
    path("<int:pk>/<str:token>/appointment.ics", views.calendar, name="calendar"),
    path("<int:pk>/<str:token>/letter/", views.letter, name="letter"),
    path("<int:pk>/<str:token>/letter.pdf", views.letter_pdf, name="letter_pdf"),
    path("<int:pk>/<str:token>/waiting-list/", offer_views.waiting_list, name="waiting_list"),
    # An earlier-slot offer: signed for the offer (she may have no appointment yet).
    path("offer/<int:pk>/<str:token>/", offer_views.offer, name="offer"),
]

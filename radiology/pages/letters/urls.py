from django.urls import path

from radiology.pages.letters import views

# Mounted at the site root inside the "radiology" namespace (see radiology/urls.py).
urlpatterns = [
    path("letters/", views.letter_list, name="letters"),
    path("letters/print/", views.print_queue, name="letter_print_queue"),
    path("letters/<int:pk>/send/", views.send, name="letter_send"),
    path("letters/<int:pk>/posted/", views.posted, name="letter_posted"),
    path("letters/<int:pk>/letter.pdf", views.pdf, name="letter_pdf"),
]

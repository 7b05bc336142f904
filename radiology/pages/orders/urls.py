from django.urls import path

from radiology.pages.orders import views

# Mounted at the site root inside the "radiology" namespace (see radiology/urls.py).
urlpatterns = [
    path("orders/", views.order_queue, name="order_queue"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/invite/", views.order_invite, name="order_invite"),
]

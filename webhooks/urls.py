from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.webhook_list, name="webhook-list"),
    path("webhooks/new/", views.webhook_create, name="webhook-create"),
    path("webhooks/<id:webhook_id>/", views.webhook_detail, name="webhook-detail"),
    path("webhooks/<id:webhook_id>/edit/", views.webhook_edit, name="webhook-edit"),
    path("webhooks/<id:webhook_id>/delete/", views.webhook_delete, name="webhook-delete"),
    path("webhooks/<id:webhook_id>/enable/", views.webhook_enable, name="webhook-enable"),
    path("webhooks/<id:webhook_id>/disable/", views.webhook_disable, name="webhook-disable"),
    path("webhooks/<id:webhook_id>/ping/", views.webhook_ping, name="webhook-ping"),
    path(
        "webhooks/<id:webhook_id>/deliveries/<id:delivery_id>/",
        views.delivery_detail,
        name="delivery-detail",
    ),
]

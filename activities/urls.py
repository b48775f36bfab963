from django.urls import path

from activities import views

app_name = "activities"

urlpatterns = [
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/deal/<id:deal_id>/", views.deal_panel, name="deal-panel"),
    path("activities/deal/<id:deal_id>/new/", views.activity_create, name="activity-create"),
    path("activities/lead/<id:lead_id>/", views.lead_panel, name="lead-panel"),
    path(
        "activities/lead/<id:lead_id>/new/",
        views.lead_activity_create,
        name="lead-activity-create",
    ),
    path("activities/<id:activity_id>/edit/", views.activity_edit, name="activity-edit"),
    path(
        "activities/<id:activity_id>/complete/",
        views.activity_complete,
        name="activity-complete",
    ),
    path("activities/<id:activity_id>/reopen/", views.activity_reopen, name="activity-reopen"),
    path("activities/<id:activity_id>/delete/", views.activity_delete, name="activity-delete"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/bell/", views.notification_bell, name="notification-bell"),
    path(
        "notifications/<id:notification_id>/read/",
        views.notification_read,
        name="notification-read",
    ),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
]

from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.lead_create, name="lead-create"),
    path("<int:lead_id>/", views.lead_detail, name="lead-detail"),
    path("<int:lead_id>/edit/", views.lead_edit, name="lead-edit"),
    path("<int:lead_id>/qualify/", views.lead_qualify, name="lead-qualify"),
    path("<int:lead_id>/disqualify/", views.lead_disqualify, name="lead-disqualify"),
]

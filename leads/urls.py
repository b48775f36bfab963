from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.lead_create, name="lead-create"),
    path("<id:lead_id>/", views.lead_detail, name="lead-detail"),
    path("<id:lead_id>/edit/", views.lead_edit, name="lead-edit"),
    path("<id:lead_id>/qualify/", views.lead_qualify, name="lead-qualify"),
    path("<id:lead_id>/disqualify/", views.lead_disqualify, name="lead-disqualify"),
]

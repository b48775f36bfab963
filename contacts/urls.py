from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("organizations/", views.organization_list, name="organization-list"),
    path("organizations/export.csv", views.organization_export, name="organization-export"),
    path("organizations/new/", views.organization_create, name="organization-create"),
    path("organizations/search/", views.organization_search, name="organization-search"),
    path(
        "organizations/<id:organization_id>/",
        views.organization_detail,
        name="organization-detail",
    ),
    path(
        "organizations/<id:organization_id>/edit/",
        views.organization_edit,
        name="organization-edit",
    ),
    path(
        "organizations/<id:organization_id>/merge/",
        views.organization_merge,
        name="organization-merge",
    ),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/export.csv", views.contact_export, name="contact-export"),
    path("contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/search/", views.contact_search, name="contact-search"),
    path("contacts/<id:contact_id>/", views.contact_detail, name="contact-detail"),
    path("contacts/<id:contact_id>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<id:contact_id>/merge/", views.contact_merge, name="contact-merge"),
]

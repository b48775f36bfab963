from django.contrib import admin

from contacts.models import Contact, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "country", "employees", "parent"]
    list_filter = ["sector", "country"]
    list_select_related = ["parent"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organization", "job_title", "email", "phone"]
    list_select_related = ["organization"]
    search_fields = ["first_name", "last_name", "email", "organization__name"]
    autocomplete_fields = ["organization"]

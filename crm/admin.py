"""What every ModelAdmin of the CRM shares."""

from django.contrib import admin

from crm.forms import input_rules


class InputRulesAdminMixin(admin.options.BaseModelAdmin):
    """Admin forms follow the same input rules as the app's (crm.forms.input_rules)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        return input_rules(field) if field is not None else None

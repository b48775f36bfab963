"""What every ModelAdmin of the CRM shares."""

from django.contrib import admin
from django.contrib.admin.widgets import (
    AutocompleteMixin,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.db import models

from crm.forms import input_rules
from crm.http import parse_id


class BoundedAutocompleteMixin(AutocompleteMixin):
    """Django's autocomplete widget looks up the submitted ids to show them again; a value
    that is no id ("inf", a 30-digit number) made that query fail. Such values are left out
    (the field's own validation says they are wrong)."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        meta = remote.model._meta
        target = meta.get_field(getattr(remote, "field_name", None) or meta.pk.name)
        if isinstance(target, models.IntegerField | models.AutoField):
            value = [v for v in value if parse_id(str(v).strip()) is not None]
        return super().optgroups(name, value, attr)


class BoundedAutocompleteSelect(BoundedAutocompleteMixin, AutocompleteSelect):
    pass


class BoundedAutocompleteSelectMultiple(BoundedAutocompleteMixin, AutocompleteSelectMultiple):
    pass


BOUNDED_WIDGETS = {
    AutocompleteSelect: BoundedAutocompleteSelect,
    AutocompleteSelectMultiple: BoundedAutocompleteSelectMultiple,
}


class InputRulesAdminMixin(admin.options.BaseModelAdmin):
    """Admin forms follow the same input rules as the app's (crm.forms.input_rules)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is None:
            return None
        widget = getattr(field.widget, "widget", field.widget)  # inside the "+" wrapper
        if type(widget) in BOUNDED_WIDGETS:
            widget.__class__ = BOUNDED_WIDGETS[type(widget)]
        return input_rules(field)

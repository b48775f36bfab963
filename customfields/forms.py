"""Custom fields on the apps' forms: one function adds them, one reads them back."""

from typing import Any

from django import forms

from customfields.models import FieldDefinition, FieldType
from customfields.queries import filterable
from customfields.values import definitions_for, form_field, from_storage, merge, to_storage

PREFIX = "cf_"


def add_custom_fields(
    form: forms.BaseForm,
    *,
    kind: str,
    user,
    custom: dict[str, Any] | None = None,
    definitions: list[FieldDefinition] | None = None,
) -> None:
    """Add the active fields of `kind` to `form` as `cf_<key>` fields, in order, with the
    row's stored values (`custom`) as initial values. A user field offers the people `user`
    may see (`teams.access.people_visible_to`), plus whoever it names already."""
    from teams.access import people_visible_to
    from teams.models import User

    definitions = definitions_for(kind) if definitions is None else definitions
    custom = custom or {}
    people: list[tuple[int, str]] = []
    if any(d.type == FieldType.USER for d in definitions):
        visible = people_visible_to(user).order_by("first_name", "last_name", "username")
        people = [(person.pk, str(person)) for person in visible]
        shown = {pk for pk, _ in people}
        named = {
            value
            for d in definitions
            if d.type == FieldType.USER
            and isinstance(value := custom.get(d.key), int)
            and value not in shown
        }
        people += [(person.pk, str(person)) for person in User.objects.filter(pk__in=named)]
    form.custom_definitions = definitions  # type: ignore[attr-defined]
    for definition in definitions:
        stored = custom.get(definition.key)
        field = form_field(definition, people=people, current=stored)
        value = from_storage(definition, stored)
        field.initial = str(value) if definition.type == FieldType.USER and value else value
        widget = field.widget
        if isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
        form.fields[PREFIX + definition.key] = field


def custom_changes(form: forms.BaseForm) -> dict[str, Any]:
    """The custom values the user changed, as stored (None: cleared), by key."""
    definitions: list[FieldDefinition] = getattr(form, "custom_definitions", [])
    changed = set(form.changed_data)
    return {
        d.key: to_storage(d, form.cleaned_data.get(PREFIX + d.key))
        for d in definitions
        if PREFIX + d.key in changed
    }


def custom_after(form: forms.BaseForm, current: dict[str, Any] | None) -> dict[str, Any]:
    """The row's `custom` once the form is saved: the form's values over the stored ones
    (values of archived fields, which the form does not show, are kept)."""
    definitions: list[FieldDefinition] = getattr(form, "custom_definitions", [])
    values = {d.key: to_storage(d, form.cleaned_data.get(PREFIX + d.key)) for d in definitions}
    return merge(current, values)


def custom_field_names(form: forms.BaseForm) -> list[str]:
    """The names of the custom fields a form has, in order (for templates)."""
    return [name for name in form.fields if name.startswith(PREFIX)]


def with_custom_fields[F: forms.BaseForm](
    form_class: type[F], *, kind: str, user, custom: dict[str, Any] | None
) -> type[F]:
    """`form_class` with the custom fields declared on it (Django admin builds its pages
    from a form class's declared fields, not from fields added to an instance)."""
    holder = forms.Form()
    add_custom_fields(holder, kind=kind, user=user, custom=custom)
    attrs: dict[str, Any] = dict(holder.fields)
    attrs["custom_definitions"] = holder.custom_definitions  # type: ignore[attr-defined]
    return type(form_class.__name__, (form_class,), attrs)


def without_custom(data: dict[str, Any]) -> dict[str, Any]:
    """`data` (cleaned data, changed fields) without the `cf_` entries."""
    return {name: value for name, value in data.items() if not name.startswith(PREFIX)}


def custom_update(form: forms.BaseForm, current: dict[str, Any] | None) -> dict[str, Any]:
    """`{"custom": ...}` to add to a record's changed fields when the form changed any custom
    value (merged over `current`, so archived fields keep theirs); else `{}`."""
    changes = custom_changes(form)
    return {"custom": merge(current, changes)} if changes else {}


def filter_field(definition: FieldDefinition, *, people: list[tuple[int, str]]) -> forms.Field:
    """A list filter for a text, choice or user field: "<label>: any" or a value. The cleaned
    data is text, which `customfields.queries.parse_filters` checks again. Its element id is
    `filter-cf_<key>`, apart from the same field's id in a form on the same page."""
    field: forms.Field
    if definition.type == FieldType.USER:
        choices = [(str(pk), name) for pk, name in people]
    elif definition.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        choices = [(choice, choice) for choice in definition.choice_list]
    else:
        field = forms.CharField(required=False, max_length=100, label=definition.label)
        field.widget.attrs.update(
            placeholder=definition.label,
            id=f"filter-{PREFIX}{definition.key}",
            **{"class": "form-control"},
        )
        return field
    field = forms.ChoiceField(required=False, choices=[("", f"{definition.label}: any"), *choices])
    field.label = definition.label
    field.widget.attrs.update(id=f"filter-{PREFIX}{definition.key}", **{"class": "form-select"})
    return field


class CustomFilterForm(forms.Form):
    """The custom field filters of a list, to draw (the list reads them with
    `customfields.queries.parse_filters`)."""

    def __init__(self, data, *, definitions: list[FieldDefinition], people) -> None:
        super().__init__(data)
        offered = [(person.pk, str(person)) for person in people]
        for definition in filterable(definitions):
            self.fields[PREFIX + definition.key] = filter_field(definition, people=offered)

"""Custom fields through the API: `custom` in and out of deals, organizations and contacts,
and the lists' `cf_<key>` filters, all through the customfields app.

Output: the active fields by key (null when empty), as `values_for_api` gives them. Input:
`custom: {key: value}`, checked by `clean_values` (the same form fields as the pages use)
and merged over the stored values with `merge`, so archived fields keep their values and a
PATCH changes only the keys it sends. The pages' forms carry the same fields as `cf_<key>`;
the API takes them out (`without_custom_form_fields`) so that custom values have one way in.

The definitions are read at most once per request, whoever asks first (a filter, or the
first row written out), and kept on the request.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Model
from django.http import HttpRequest

from api.errors import InvalidInput
from customfields.forms import PREFIX as FORM_PREFIX
from customfields.models import FieldDefinition
from customfields.queries import (
    PARAM_PREFIX,
    CustomFilter,
    filterable,
    parse_filters,
    requested,
)
from customfields.values import clean_values, definitions_for, merge, values_for_api

_CACHE_ATTRIBUTE = "_api_custom_definitions"


def request_definitions(request: HttpRequest | None, kind: str) -> list[FieldDefinition]:
    """The active fields of `kind`, read once per request (without one: read now)."""
    if request is None:
        return definitions_for(kind)
    cache: dict[str, list[FieldDefinition]] = request.__dict__.setdefault(_CACHE_ATTRIBUTE, {})
    if kind not in cache:
        cache[kind] = definitions_for(kind)
    return cache[kind]


# --- Out -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    custom: Any


def custom_out(kind: str, stored: Any, request: HttpRequest | None) -> dict[str, Any]:
    """A row's stored `custom` as the API shows it: every active field by key, null if empty."""
    shown = values_for_api(_Stored(stored or {}), request_definitions(request, kind))
    return {key: _documented(value) for key, value in shown.items()}


def _documented(value: Any) -> Any:
    # What the OpenAPI document promises: text, a whole number (a user id), a list of texts
    # or null. A stored value that no longer fits its field is shown as it was stored
    # (values_for_api is forgiving), so one of another JSON type is shown as text.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value)


# --- In ------------------------------------------------------------------------------------


def without_custom_form_fields[F: forms.BaseForm](form: F) -> F:
    """`form` without the `cf_<key>` fields the pages' forms add: through the API custom
    values come as `custom` and are checked by `checked_custom`."""
    for name in [name for name in form.fields if name.startswith(FORM_PREFIX)]:
        del form.fields[name]
    return form


def checked_custom(
    *,
    model: type[Model] | Model,
    sent: dict[str, Any] | None,
    partial: bool,
    user,
    current: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[dict]]:
    """The custom values a request sends, checked: `(values, errors)`, values by key as
    stored (None: clear), errors as the API lists them (`custom.<key>`).

    On create (`partial=False`) every active field is checked, so a required one must be
    sent; on PATCH only the keys sent (`sent` None: nothing to change)."""
    if sent is None and partial:
        return {}, []
    values, errors = clean_values(
        model=model, data=sent or {}, partial=partial, user=user, current=current
    )
    return values, [
        {"field": "custom" if key == "custom" else f"custom.{key}", "message": message}
        for key, message in errors.items()
    ]


def custom_change(current: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any]:
    """`{"custom": ...}` to add to a row's changed fields when `values` change its stored
    `custom` (merged over it: keys not sent and archived fields keep theirs); else `{}`."""
    merged = merge(current, values)
    return {"custom": merged} if merged != (current or {}) else {}


# --- Filters -------------------------------------------------------------------------------


def custom_filters(request: HttpRequest, kind: str) -> list[CustomFilter]:
    """The list's `cf_<key>=value` filters, read as the pages read them
    (`customfields.queries.parse_filters`). Where a page leaves out a filter it cannot use,
    the API answers 422 rather than a longer list than the client asked for. An empty value
    is no filter, as on the pages."""
    if not requested(request.GET):
        return []
    definitions = request_definitions(request, kind)
    filters = parse_filters(request.GET, definitions)
    taken = {custom_filter.param for custom_filter in filters}
    usable = {PARAM_PREFIX + definition.key for definition in filterable(definitions)}
    errors = [
        {
            "field": name[:100],
            "message": (
                "No row can have this value: it is not one of the field's choices, not a "
                "user id, or too long."
                if name in usable
                else "Not a custom field this list can be filtered by (text, choice and user "
                "fields can)."
            ),
        }
        for name in request.GET
        if name.startswith(PARAM_PREFIX)
        and name not in taken
        and str(request.GET.get(name) or "").strip()
    ]
    if errors:
        raise InvalidInput(errors)
    return filters

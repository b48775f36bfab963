"""Custom field values: how each type is checked, stored, shown and handed to the API.

**Storage.** A deal's, organization's or contact's values live in its `custom` JSON column,
`{key: value}`, one entry per field that has a value (an emptied field loses its key):

| type | stored as | example |
| --- | --- | --- |
| text | JSON string (one line, at most 500 characters) | `"Gold"` |
| number | JSON number (at most 15 significant digits, 4 decimals) | `12.5` |
| money | JSON number (at most 12 digits before the point, 2 after) | `1999.99` |
| date | ISO string (years 1900 to 2200) | `"2027-03-31"` |
| single choice | JSON string, one of the choices | `"Enterprise"` |
| multiple choice | JSON array of strings | `["EU", "US"]` |
| user | the user's id, a JSON number | `42` |

Numbers are JSON numbers rather than strings so that the database compares and sorts them
as numbers (range filters: `custom__amount__gte=100`). They stay Decimal-exact: PostgreSQL's
jsonb keeps numbers as `numeric`, and because no value has more than 15 significant digits,
the double a JSON parser may read in between always converts back (through its shortest
`repr`) to exactly the Decimal that was entered. Dates are ISO strings, which sort as dates.

Reading is forgiving: a stored value that no longer fits its definition (a choice that was
removed, a field whose type was different) is shown as it is, never an error.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import formats

from crm.forms import input_rules
from crm.http import parse_id
from customfields.models import FieldDefinition, FieldType, ObjectKind

TEXT_MAX_LENGTH = 500
NUMBER_DIGITS, NUMBER_PLACES = 15, 4
MONEY_DIGITS, MONEY_PLACES = 14, 2
EMPTY = "—"
CENT = Decimal("0.01")


def kind_of(model: type[Model] | Model | str) -> str:
    """The object kind ("deal", "organization", "contact") of a model, a row or a kind."""
    name = model if isinstance(model, str) else model._meta.model_name
    if name not in ObjectKind.values:
        raise ValueError(f"{name!r} has no custom fields.")
    return str(name)


def definitions_for(kind: str) -> list[FieldDefinition]:
    """The active fields of `kind`, in order (one query): what pages, forms and exports show."""
    return list(FieldDefinition.objects.active().of_kind(kind_of(kind)))


# --- Checking input ------------------------------------------------------------------------


class UserChoiceField(forms.ChoiceField):
    """A user among `choices` (id, name); ids are parsed strictly, so `²` or a 40-digit
    number is "not one of the people you can choose", never a database error."""

    default_error_messages = {
        "invalid_choice": "Choose one of the people offered (someone you can see).",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_id(value) or value  # unparsable input is refused by validate()

    def validate(self, value) -> None:
        if value is None:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return
        if not isinstance(value, int) or not self.valid_value(str(value)):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class StrictDecimalField(forms.DecimalField):
    """A DecimalField that refuses booleans (JSON `true` is not a number)."""

    def to_python(self, value):
        if isinstance(value, bool):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def form_field(
    definition: FieldDefinition,
    *,
    people: list[tuple[int, str]] | None = None,
    current: Any = None,
) -> forms.Field:
    """The Django form field for a definition: used by the forms and by `clean_values`.

    `people` are the (id, name) a user field offers (the editor's visible people);
    `current` is the stored value, which stays acceptable even if its choice or person is
    no longer offered (editing something else must not fail on it).
    """
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required,
        "help_text": definition.help_text,
    }
    field: forms.Field
    match definition.type:
        case FieldType.NUMBER:
            field = StrictDecimalField(
                max_digits=NUMBER_DIGITS, decimal_places=NUMBER_PLACES, **common
            )
        case FieldType.MONEY:
            field = StrictDecimalField(
                max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, min_value=None, **common
            )
            field.widget.attrs["step"] = "0.01"
        case FieldType.DATE:
            field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        case FieldType.CHOICE:
            choices = _with_current(definition.choice_list, [current] if current else [])
            field = forms.ChoiceField(choices=[("", "—"), *((c, c) for c in choices)], **common)
        case FieldType.MULTI_CHOICE:
            kept = current if isinstance(current, list) else []
            choices = _with_current(definition.choice_list, kept)
            field = forms.MultipleChoiceField(choices=[(c, c) for c in choices], **common)
        case FieldType.USER:
            offered = list(people or [])
            if isinstance(current, int) and all(pk != current for pk, _ in offered):
                offered.append((current, "(the person chosen before)"))
            field = UserChoiceField(
                choices=[("", "—"), *((str(pk), name) for pk, name in offered)], **common
            )
        case _:
            field = forms.CharField(max_length=TEXT_MAX_LENGTH, **common)
    # The CRM's input rules (crm.forms): dates from 1900 to 2200, text on a single line.
    return input_rules(field)


def _with_current(choices: list[str], current: Iterable[Any]) -> list[str]:
    extra = [str(value) for value in current if str(value) not in choices]
    return [*choices, *extra]


def to_storage(definition: FieldDefinition, value: Any) -> Any:
    """A cleaned form value as it is kept in `custom` (None: no value, the key is dropped)."""
    if value in (None, "", []):
        return None
    match definition.type:
        case FieldType.NUMBER | FieldType.MONEY:
            number = Decimal(value)
            if definition.type == FieldType.MONEY:
                number = number.quantize(CENT)
            return int(number) if number == number.to_integral_value() else float(number)
        case FieldType.DATE:
            return value.isoformat()
        case FieldType.USER:
            return int(value)
        case FieldType.MULTI_CHOICE:
            # In the order the definition lists its choices, whatever order they came in.
            order = {choice: index for index, choice in enumerate(definition.choice_list)}
            chosen = dict.fromkeys(str(choice) for choice in value)
            return sorted(chosen, key=lambda choice: order.get(choice, len(order)))
    return str(value)


def from_storage(definition: FieldDefinition, raw: Any) -> Any:
    """A stored value as Python: Decimal, date, int (a user id), list or str; None if absent.
    A value that does not fit the type any more comes back as it was stored."""
    if raw is None or raw == "" or raw == []:
        return None
    try:
        match definition.type:
            case FieldType.NUMBER | FieldType.MONEY:
                if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                    return raw
                number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
                if not number.is_finite():
                    return raw
                return number.quantize(CENT) if definition.type == FieldType.MONEY else number
            case FieldType.DATE:
                return date.fromisoformat(raw) if isinstance(raw, str) else raw
            case FieldType.MULTI_CHOICE:
                return [str(item) for item in raw] if isinstance(raw, list) else [str(raw)]
    except (InvalidOperation, ValueError, TypeError):
        return raw
    return raw


def merge(current: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with `values` written over it; a None value removes its key. Keys that are
    not in `values` (fields archived since, or left out of a partial change) are kept."""
    merged = dict(current or {})
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def clean_values(
    *,
    model: type[Model] | Model | str,
    data: Mapping[str, Any],
    partial: bool,
    user=None,
    current: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check custom values sent as JSON (the API) against the active definitions.

    `model` is Deal, Organization or Contact (the class, a row or the kind's name); `data`
    maps keys to JSON values (`"12.50"` or `12.5` for numbers, ISO dates, user ids, lists for
    multiple choice, null to clear). With `partial` (PATCH) only the keys sent are checked
    and a missing required field is not an error; otherwise every active field is.
    `user` is the editor: a user field then accepts only people they may see
    (`teams.access.people_visible_to`); without it any active user. `current` is the row's
    stored `custom`, whose existing values stay acceptable.

    Returns `(values, errors)`: `values` maps keys to what to store (None: clear), ready for
    `merge(row.custom, values)`; `errors` maps keys (or "custom" for a value that is not an
    object) to one message each. Unknown and archived keys are errors.
    """
    kind = kind_of(model)
    if not isinstance(data, Mapping):
        return {}, {"custom": "Expected an object of custom field values by key."}
    definitions = definitions_for(kind)
    by_key = {definition.key: definition for definition in definitions}
    errors: dict[str, str] = {str(key)[:100]: "Unknown field." for key in data if key not in by_key}
    people = _people_for(user, [d for d in definitions if d.type == FieldType.USER], data)
    values: dict[str, Any] = {}
    for definition in definitions:
        if partial and definition.key not in data:
            continue
        raw = data.get(definition.key)
        if raw is not None and not isinstance(raw, str | int | float | list):
            errors[definition.key] = "Enter a single value (text, number or list)."
            continue
        if isinstance(raw, list) and definition.type != FieldType.MULTI_CHOICE:
            errors[definition.key] = "Enter a single value, not a list."
            continue
        if isinstance(raw, int | float) and definition.type == FieldType.USER:
            raw = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else "?"
        stored = (current or {}).get(definition.key)
        field = form_field(definition, people=people, current=stored)
        try:
            cleaned = field.clean(raw)
        except ValidationError as error:
            errors[definition.key] = " ".join(error.messages)
            continue
        values[definition.key] = to_storage(definition, cleaned)
    return values, errors


def _people_for(user, definitions: list[FieldDefinition], data) -> list[tuple[int, str]]:
    if not definitions:
        return []
    from teams.access import people_visible_to
    from teams.models import User

    people = people_visible_to(user) if user is not None else User.objects.filter(is_active=True)
    ids = {i for d in definitions if (i := parse_id(data.get(d.key))) is not None}
    # Only the people named in the data: a check, not a list to offer.
    return [(person.pk, str(person)) for person in people.filter(pk__in=ids)]


# --- Showing values ------------------------------------------------------------------------


def user_ids_in(rows: Iterable[Any], definitions: Iterable[FieldDefinition]) -> set[int]:
    """The user ids the user fields of these rows name (to load their names at once)."""
    keys = [d.key for d in definitions if d.type == FieldType.USER]
    ids: set[int] = set()
    for row in rows:
        for key in keys:
            value = (row.custom or {}).get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                ids.add(value)
    return ids


def user_names(ids: set[int]) -> dict[int, str]:
    """Names of the users with these ids (one query, none without ids)."""
    if not ids:
        return {}
    from teams.models import User

    return {user.pk: str(user) for user in User.objects.filter(pk__in=ids)}


def display(
    definition: FieldDefinition, raw: Any, *, currency: str = "", users: Mapping[int, str] = {}
) -> str:
    """A stored value as people read it: money with its currency, a localized date, a user's
    name, choices joined by commas; "—" when empty."""
    value = from_storage(definition, raw)
    if value is None:
        return EMPTY
    match definition.type:
        case FieldType.MONEY if isinstance(value, Decimal):
            return f"{value:,.2f} {currency or settings.DEFAULT_CURRENCY}"
        case FieldType.NUMBER if isinstance(value, Decimal):
            return f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,}"
        case FieldType.DATE if isinstance(value, date):
            return formats.date_format(value, "DATE_FORMAT")
        case FieldType.USER:
            return users.get(value, "(former user)") if isinstance(value, int) else str(value)
        case FieldType.MULTI_CHOICE:
            return ", ".join(value)
    return str(value)


def rows_for(
    obj: Any,
    definitions: Iterable[FieldDefinition],
    *,
    currency: str = "",
    users: Mapping[int, str] = {},
) -> list[tuple[str, str]]:
    """(label, shown value) of each definition for one row, in the definitions' order."""
    custom = obj.custom or {}
    return [
        (d.label, display(d, custom.get(d.key), currency=currency, users=users))
        for d in definitions
    ]


def export_value(definition: FieldDefinition, raw: Any, *, users: Mapping[int, str] = {}) -> Any:
    """A value for a CSV cell: plain numbers (no thousands separators), ISO dates, names."""
    value = from_storage(definition, raw)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    if definition.type == FieldType.USER and isinstance(value, int):
        return users.get(value, "")
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def json_value(definition: FieldDefinition, raw: Any) -> Any:
    """A value for JSON: Decimal as a string ("1999.99"), dates in ISO, user ids, lists."""
    value = from_storage(definition, raw)
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def values_for_api(obj: Any, definitions: list[FieldDefinition] | None = None) -> dict[str, Any]:
    """The active custom fields of a deal, organization or contact as a JSON-safe dict
    `{key: value}` (null when empty): Decimal as a string, dates ISO, users as ids.

    Pass `definitions` (from `definitions_for(kind)`) when serialising many rows, so the
    definitions are read once per request rather than once per row.
    """
    if definitions is None:
        definitions = definitions_for(kind_of(obj))
    custom = obj.custom or {}
    return {d.key: json_value(d, custom.get(d.key)) for d in definitions}


def money_currency(obj: Any) -> str:
    """The currency money fields of a row are shown in: the deal's, else the default."""
    return getattr(obj, "currency", "") or settings.DEFAULT_CURRENCY


@dataclass(frozen=True)
class ShownChange:
    label: str
    old: str
    new: str


def custom_changes_shown(
    *, kind: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, currency: str
) -> list[ShownChange]:
    """The fields whose value differs between two `custom` dicts, as a history shows them:
    (label, old, new) as text people read ("" when empty). Fields no longer defined are left
    out (nothing shows them). One query for the definitions, one for users' names if any."""
    before, after = before or {}, after or {}
    if before == after:
        return []
    definitions = [
        d for d in FieldDefinition.objects.of_kind(kind) if before.get(d.key) != after.get(d.key)
    ]
    users = user_names(user_ids_in([_Row(before), _Row(after)], definitions))

    def shown(definition: FieldDefinition, raw: Any) -> str:
        text = display(definition, raw, currency=currency, users=users)
        return "" if text == EMPTY else text

    return [
        ShownChange(
            label=d.label[:50], old=shown(d, before.get(d.key)), new=shown(d, after.get(d.key))
        )
        for d in definitions
    ]


@dataclass(frozen=True)
class _Row:
    custom: Mapping[str, Any]


def shown_fields(
    obj: Any, definitions: list[FieldDefinition] | None = None
) -> list[tuple[str, str]]:
    """(label, value as shown) of every active field for a record's page, in order: at most
    two queries (the definitions, and the names of the users the fields name)."""
    if definitions is None:
        definitions = definitions_for(kind_of(obj))
    users = user_names(user_ids_in([obj], definitions))
    return rows_for(obj, definitions, currency=money_currency(obj), users=users)


def export_headers(definitions: Iterable[FieldDefinition]) -> list[str]:
    """CSV header cells of the custom fields: their labels."""
    return [definition.label for definition in definitions]


def export_cells(
    row: Any, definitions: Iterable[FieldDefinition], *, users: Mapping[int, str]
) -> list[Any]:
    """CSV cells of a row's custom fields, in the definitions' order (see `export_value`)."""
    custom = row.custom or {}
    return [export_value(d, custom.get(d.key), users=users) for d in definitions]

"""Reading rows by their custom values: the list filters (`cf_<key>=value`).

On PostgreSQL a filter is `custom @> '{"key": value}'` (`custom__contains`), which the GIN
index on `custom` (jsonb_path_ops) answers. SQLite has no JSON containment, so there the
same filter compares the extracted value (`custom ->> '$.key'`), and a multiple-choice
filter looks for the JSON-quoted choice inside the stored array's text.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim

from crm.http import parse_id
from customfields.models import FieldDefinition, FieldType
from customfields.values import TEXT_MAX_LENGTH

PARAM_PREFIX = "cf_"
FILTERABLE = (FieldType.TEXT, FieldType.CHOICE, FieldType.MULTI_CHOICE, FieldType.USER)


@dataclass(frozen=True)
class CustomFilter:
    """One valid filter: rows whose field `key` has `value` (a multiple choice: includes it)."""

    definition: FieldDefinition
    value: Any

    @property
    def param(self) -> str:
        return PARAM_PREFIX + self.definition.key

    def q(self, prefix: str = "") -> Q:
        key, column = self.definition.key, f"{prefix}custom"
        if self.definition.type == FieldType.MULTI_CHOICE:
            if connection.vendor == "postgresql":
                return Q(**{f"{column}__contains": {key: [self.value]}})
            quoted = json.dumps(self.value, ensure_ascii=False)
            return _text_contains(column, key, quoted)
        if connection.vendor == "postgresql":
            return Q(**{f"{column}__contains": {key: self.value}})
        return Q(**{f"{column}__{key}": self.value})


def _text_contains(column: str, key: str, quoted: str) -> Q:
    from django.db.models.lookups import Contains

    return Q(Contains(KT(f"{column}__{key}"), quoted))


def filterable(definitions: list[FieldDefinition]) -> list[FieldDefinition]:
    """The fields a list can be filtered by: text, choices and users."""
    return [d for d in definitions if d.type in FILTERABLE]


def requested(data, prefix: str = PARAM_PREFIX) -> bool:
    """Whether `data` (a QueryDict) names any custom field filter (so definitions are read
    only when needed)."""
    return any(name.startswith(prefix) for name in data)


def parse_filters(
    data, definitions: list[FieldDefinition], *, prefix: str = PARAM_PREFIX
) -> list[CustomFilter]:
    """The valid `cf_<key>` filters in `data` (a QueryDict; `prefix` e.g. "scope_cf_" for
    what a board sends back). A value that cannot match (an unknown choice, a malformed user
    id, text too long) is left out, never trusted."""
    filters = []
    for definition in filterable(definitions):
        raw = str(data.get(prefix + definition.key) or "").strip()
        if not raw:
            continue
        value: Any
        if definition.type == FieldType.USER:
            value = parse_id(raw)
            if value is None:
                continue
        elif definition.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
            if raw not in definition.choice_list:
                continue
            value = raw
        else:
            if len(raw) > TEXT_MAX_LENGTH or "\x00" in raw:
                continue
            value = " ".join(raw.split())
        filters.append(CustomFilter(definition=definition, value=value))
    return filters


def apply_filters(rows, filters: list[CustomFilter], prefix: str = ""):
    """`rows` narrowed by every filter."""
    for custom_filter in filters:
        rows = rows.filter(custom_filter.q(prefix))
    return rows


def _name_column(key: str) -> str:
    return f"cf_user_name_{key}"


def with_user_names(rows: QuerySet, definitions: list[FieldDefinition]) -> QuerySet:
    """`rows` annotated with the name of the user each user field names, read in the same
    query (a subquery per field), so that a list of cards needs no query per user.

    The stored id is compared as text, so a value that is not an id (a field deleted and
    defined again with another type) matches nobody instead of failing a cast."""
    from teams.models import User

    for definition in definitions:
        if definition.type != FieldType.USER:
            continue
        raw = f"cf_user_raw_{definition.key}"
        name = Coalesce(
            NullIf(Trim(Concat("first_name", Value(" "), "last_name")), Value("")), "username"
        )
        users = (
            User.objects.annotate(id_text=Cast("pk", CharField()))
            .filter(id_text=OuterRef(raw))
            .values_list(name)[:1]
        )
        rows = rows.annotate(**{raw: KT(f"custom__{definition.key}")}).annotate(
            **{_name_column(definition.key): Subquery(users)}
        )
    return rows


def user_names_of(row: Any, definitions: list[FieldDefinition]) -> dict[int, str]:
    """{user id: name} of the user fields of a row read through `with_user_names`."""
    names = {}
    for definition in definitions:
        value = (row.custom or {}).get(definition.key)
        name = getattr(row, _name_column(definition.key), None)
        if definition.type == FieldType.USER and isinstance(value, int) and name:
            names[value] = name
    return names

"""Custom fields as columns of the organization and contact CSV import.

Each active text, number, money, date or choice field of organizations (or contacts) is a
column, recognised by its label or its key; a cell is checked as the forms check it. A blank
cell leaves the stored value alone. User fields are not imported (a file names people by
username, which the owner column already resolves; a later step).
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from customfields.models import FieldDefinition, FieldType
from customfields.values import definitions_for, form_field, to_storage

IMPORTED = (
    FieldType.TEXT,
    FieldType.NUMBER,
    FieldType.MONEY,
    FieldType.DATE,
    FieldType.CHOICE,
    FieldType.MULTI_CHOICE,
)


def cell_parser(definition: FieldDefinition) -> Callable[[str], Any]:
    """Read a cell as the field stores it; CellRefused says why not (without the value)."""
    from imports.formats import LINE_BREAK, CellRefused

    field = form_field(definition)

    def parse(value: str) -> Any:
        if LINE_BREAK.search(value):
            raise CellRefused("holds a line break (CR or LF); values fit on one line")
        raw: Any = value.strip()
        if definition.type == FieldType.MULTI_CHOICE:
            raw = [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
        elif definition.type in (FieldType.NUMBER, FieldType.MONEY):
            raw = raw.replace(",", "")
        try:
            cleaned = field.clean(raw)
        except ValidationError as error:
            if "valid choice" in " ".join(error.messages):
                choices = ", ".join(definition.choice_list)
                raise CellRefused(f"is not one of the choices ({choices})") from None
            message = " ".join(error.messages).rstrip(".")
            raise CellRefused(message[:1].lower() + message[1:]) from None
        return to_storage(definition, cleaned)

    return parse


def stored(key: str) -> Callable[[Any], Any]:
    """Reads a record's stored value of field `key` (the import writes only what differs)."""

    def current(record) -> Any:
        return (record.custom or {}).get(key)

    return current


def import_columns(kind: str) -> list:
    """The import columns of the active fields of `kind` ("organization" or "contact")."""
    from imports.formats import Column

    return [
        Column(
            key=f"cf_{definition.key}",
            header=definition.label,
            parse=cell_parser(definition),
            aliases=(definition.key,),
            current=stored(definition.key),
        )
        for definition in definitions_for(kind)
        if definition.type in IMPORTED
    ]

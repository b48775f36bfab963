"""The CSV formats the importer reads: which columns, under which headers, read how.

A format is a list of `Column`s. Each names the keyword the contacts services take
(`organization_create(sector=...)`), the header the README and the error report use, the
other headers it is recognised by (compared folded: case, accents, spaces, `_` and `-` do
not matter), and how a cell is read (`parse` returns the value or raises `CellRefused`).

Other apps add columns without touching this module: `register_columns(kind, provider)`,
where `provider()` returns more `Column`s (read when a file is read, so columns defined in
the database, such as custom fields, are current). A column whose `current` reads the
stored value from a record takes part in "only what differs is written".
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from contacts.keys import fold

ORGANIZATIONS = "organizations"
CONTACTS = "contacts"

# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
LINE_BREAK = re.compile("[\r\n\u2028\u2029\x85]")
# Whole numbers as people and spreadsheets write them: 1200, 1,200 or 1 200.
# ASCII digits only: \d would take any script's digits, which int() reads but people do not
# expect to see in a number column.
INTEGER = re.compile(r"^[+-]?([0-9]{1,3}([, \u00a0\u202f][0-9]{3})+|[0-9]+)$")
DECIMAL = re.compile(r"^[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?$|^[+-]?\.[0-9]+$")
PHONE = re.compile(r"^[0-9+()./\- ]*( *(x|ext\.?) *[0-9]+)?$", re.IGNORECASE)
CENT = Decimal("0.01")
# PostgreSQL's integer (PositiveIntegerField) and the DecimalField(14, 2) of money.
MAX_INTEGER = 2_147_483_647
MAX_MONEY = Decimal("999999999999.99")
FIRST_YEAR = 1000


class CellRefused(ValueError):
    """A cell's value cannot be imported; the message says why (without the value)."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: Callable[[str], Any]
    aliases: tuple[str, ...] = ()
    required: bool = False
    # What the row is "missing" when a required column's cell is blank.
    missing: str = ""
    # The stored value to compare with (default: the record's attribute `key`).
    current: Callable[[Any], Any] | None = None

    def names(self) -> set[str]:
        return {fold(name) for name in (self.key, self.header, *self.aliases)}

    def current_value(self, record) -> Any:
        return self.current(record) if self.current else getattr(record, self.key)


@dataclass(frozen=True)
class Format:
    kind: str
    label: str
    builtin: tuple[Column, ...]
    providers: list[Callable[[], Iterable[Column]]] = field(default_factory=list)

    def columns(self) -> list[Column]:
        """The built-in columns, then those other apps registered."""
        extra = [column for provider in self.providers for column in provider()]
        return [*self.builtin, *extra]


# Cell readers ----------------------------------------------------------------------------


def text(max_length: int) -> Callable[[str], str]:
    """One line of text, trimmed, at most `max_length` characters."""

    def parse(value: str) -> str:
        if LINE_BREAK.search(value):
            raise CellRefused("holds a line break (CR or LF); names and values fit on one line")
        if CONTROL.search(value):
            raise CellRefused("holds a control character (such as a tab or NUL)")
        value = value.strip()
        if len(value) > max_length:
            raise CellRefused(f"is {len(value)} characters long; at most {max_length} fit")
        return value

    return parse


def integer(minimum: int, maximum: int) -> Callable[[str], int]:
    """A whole number within bounds; thousands may be grouped with commas or spaces."""

    def parse(value: str) -> int:
        value = value.strip()
        if not INTEGER.match(value):
            raise CellRefused("is not a whole number")
        number = int(re.sub(r"[, \u00a0\u202f]", "", value))
        if not minimum <= number <= maximum:
            raise CellRefused(f"is out of range: it must be from {minimum:,} to {maximum:,}")
        return number

    return parse


def year(value: str) -> int:
    """A year from 1000 to the current one (a company is not established in the future)."""
    value = value.strip()
    if not re.fullmatch(r"[0-9]{1,6}", value):
        raise CellRefused("is not a year")
    number, this_year = int(value), timezone.now().year
    if not FIRST_YEAR <= number <= this_year:
        raise CellRefused(f"is out of range: a year from {FIRST_YEAR} to {this_year}")
    return number


def money(value: str) -> Decimal:
    """A non-negative amount, rounded to the cent (halves up); commas may group thousands."""
    value = value.strip()
    if not DECIMAL.match(value):
        raise CellRefused("is not a number (write it like 1250000.50)")
    try:
        amount = Decimal(value.replace(",", "")).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise CellRefused("is not a number") from None
    if not Decimal(0) <= amount <= MAX_MONEY:
        raise CellRefused(f"is out of range: it must be from 0 to {MAX_MONEY:,}")
    return amount


def email(value: str) -> str:
    value = text(254)(value)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise CellRefused("is not a valid e-mail address") from None
    return value


def phone(value: str) -> str:
    value = text(40)(value)
    if value and not (PHONE.match(value) and re.search(r"[0-9]", value)):
        raise CellRefused("is not a phone number (digits, spaces, + ( ) - . / and an extension)")
    return value


def record_pk(record) -> int | None:
    return record.pk if record is not None else None


# Formats ---------------------------------------------------------------------------------

OWNER = Column(
    "owner",
    "owner username",
    text(150),
    aliases=("owner", "owner user name", "owner login", "account owner", "contact owner"),
    current=lambda record: record.owner_id,
)

ORGANIZATION_FORMAT = Format(
    kind=ORGANIZATIONS,
    label="Organizations",
    builtin=(
        Column(
            "name",
            "name",
            text(200),
            aliases=(
                "organization",
                "organization name",
                "organisation",
                "organisation name",
                "company",
                "company name",
                "account",
                "account name",
            ),
            required=True,
            missing="name",
        ),
        Column("sector", "sector", text(100), aliases=("industry",)),
        Column("country", "country", text(100), aliases=("office location", "location")),
        Column(
            "employees",
            "employees",
            integer(0, MAX_INTEGER),
            aliases=("employee count", "number of employees", "headcount", "staff"),
        ),
        Column(
            "year_established",
            "year established",
            year,
            aliases=("established", "founded", "year founded"),
        ),
        Column(
            "annual_revenue",
            "annual revenue",
            money,
            aliases=("revenue", "annual revenue in millions", "revenue in millions"),
        ),
        Column(
            "parent",
            "parent",
            text(200),
            aliases=(
                "parent organization",
                "parent organisation",
                "parent company",
                "subsidiary of",
            ),
            current=lambda record: record.parent_id,
        ),
        OWNER,
    ),
)

CONTACT_FORMAT = Format(
    kind=CONTACTS,
    label="Contacts",
    builtin=(
        Column(
            "first_name",
            "first name",
            text(100),
            aliases=("firstname", "given name", "forename"),
            required=True,
            missing="first name",
        ),
        Column(
            "last_name",
            "last name",
            text(100),
            aliases=("lastname", "surname", "family name"),
            required=True,
            missing="last name",
        ),
        Column(
            "email",
            "e-mail",
            email,
            aliases=("email address", "e-mail address", "mail"),
        ),
        Column("phone", "phone", phone, aliases=("phone number", "telephone", "tel", "mobile")),
        Column("job_title", "job title", text(100), aliases=("title", "position", "role")),
        Column(
            "organization",
            "organization name",
            text(200),
            aliases=(
                "organization",
                "organisation",
                "organisation name",
                "company",
                "company name",
                "account",
                "account name",
            ),
            required=True,
            missing="organization",
            current=lambda record: record.organization_id,
        ),
        OWNER,
    ),
)

FORMATS = {ORGANIZATIONS: ORGANIZATION_FORMAT, CONTACTS: CONTACT_FORMAT}


def register_columns(kind: str, provider: Callable[[], Iterable[Column]]) -> None:
    """Let another app add columns to a format (see the module docstring)."""
    FORMATS[kind].providers.append(provider)


# Headers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderMap:
    """Which column of the file is which column of the format."""

    format: Format
    # Position in the file -> (the column, its header as the file writes it).
    columns: dict[int, tuple[Column, str]]
    unknown: list[str]
    missing: list[Column]
    repeated: list[str]
    width: int
    # The format's columns as they were when the header was read (those other apps register
    # may come from the database: read once per file, not once per row).
    all_columns: tuple[Column, ...] = ()

    def header_of(self, key: str) -> str:
        """The file's header for the column `key` (the format's name when absent)."""
        for column, written in self.columns.values():
            if column.key == key:
                return written
        return next(column.header for column in self.all_columns if column.key == key)


def map_header(fmt: Format, header: list[str]) -> HeaderMap:
    """Match a file's header cells with the format's columns (folded names and aliases)."""
    all_columns = tuple(fmt.columns())
    by_name = {name: column for column in all_columns for name in column.names()}
    columns: dict[int, tuple[Column, str]] = {}
    seen: dict[str, str] = {}
    unknown, repeated = [], []
    for position, written in enumerate(header):
        column = by_name.get(fold(written))
        if column is None:
            unknown.append(written or f"(column {position + 1} has no name)")
        elif column.key in seen:
            repeated.append(f"“{written}” repeats “{seen[column.key]}”")
        else:
            seen[column.key] = written
            columns[position] = (column, written)
    missing = [column for column in all_columns if column.required and column.key not in seen]
    return HeaderMap(
        format=fmt,
        columns=columns,
        unknown=unknown,
        missing=missing,
        repeated=repeated,
        width=len(header),
        all_columns=all_columns,
    )

"""Rows of a CSV file checked, matched with the records they describe, and written through
the contacts services (which keep the lookup keys right and record webhook events).

Matching (so that importing a file again updates rather than duplicates):
- an organization is the one whose `name_key` equals the row's name folded (case, accents,
  punctuation and legal suffixes such as Inc or GmbH set aside: contacts.keys);
- a contact is the one with the row's e-mail address (case aside); a row without an e-mail
  address, or whose address no contact has, is the contact of the same name (folded) at the
  row's organization, among those without an e-mail address when the row has one;
- several records matching one row is an error (merge them first), not a guess.
The matched name or e-mail address is not rewritten (its spelling in the CRM is kept). Only
fields whose value differs are written; a blank cell leaves the stored value as it is.

Each row is written whole or not at all: every problem of a row is reported (line, column,
value, reason) and the row skipped, and the other rows are imported.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.db.models.functions import Lower

from contacts import services
from contacts.keys import email_key, fold, organization_name_key
from contacts.models import Contact, Organization
from contacts.queries import parent_would_loop
from imports.csvfile import CsvTable, FileRefused
from imports.formats import (
    CONTACTS,
    FORMATS,
    ORGANIZATIONS,
    CellRefused,
    HeaderMap,
    map_header,
)
from teams.models import User

# Columns whose cell names another record: resolved per chunk, compared by id.
REFERENCES = {"owner", "parent", "organization"}
VALUE_SHOWN = 200  # characters of a refused cell kept in the error report


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the header as the file writes it; "" for the row as a whole
    value: str
    reason: str


@dataclass
class RowResult:
    line: int
    outcome: Outcome
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class SourceRow:
    line: int
    cells: dict[str, str]  # column key -> the cell as written
    extra_cells: int  # cells beyond the header's width


@dataclass
class PreparedFile:
    """A file read for one kind: its rows in the order they are imported, and what the
    whole file says about each (repeats, loops of parents)."""

    kind: str
    header: HeaderMap
    rows: list[SourceRow]
    # Line -> the first line with the same natural key.
    repeats: dict[int, int]
    # The first line of each natural key in the file.
    key_lines: dict[Any, int]
    # Lines of organizations whose parents lead back to them within the file.
    loops: set[int] = field(default_factory=set)

    @property
    def unknown_columns(self) -> list[str]:
        return self.header.unknown


def shown(value: str) -> str:
    """A cell as the error report shows it: control and format characters (line breaks,
    bidi overrides that would reorder the report) written as escapes."""
    value = "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
        else char
        for char in value[: VALUE_SHOWN * 2]
    )
    return value[:VALUE_SHOWN]


def prepare(kind: str, table: CsvTable) -> PreparedFile:
    """Map the header and order the rows for import; FileRefused when the header lacks a
    required column or names one twice."""
    fmt = FORMATS[kind]
    header = map_header(fmt, table.header)
    if header.missing:
        names = ", ".join(f"“{column.header}”" for column in header.missing)
        written = ", ".join(table.header)
        if len(written) > 300:
            written = written[:300] + "…"
        message = (
            f"The file lacks the column(s) {names}, which a file of {fmt.label.lower()} needs. "
            f"Its header is: {written}."
        )
        for other in FORMATS.values():
            if other.kind != kind and not map_header(other, table.header).missing:
                message += f" It looks like a file of {other.label.lower()}: choose that kind."
        raise FileRefused(message)
    if header.repeated:
        raise FileRefused(f"The header names a column twice: {'; '.join(header.repeated)}.")
    rows = [
        SourceRow(
            line=line,
            cells={
                column.key: cells[position]
                for position, (column, _) in header.columns.items()
                if position < len(cells)
            },
            extra_cells=max(0, len(cells) - header.width),
        )
        for line, cells in table.rows
    ]
    importer = importer_for(kind)
    key_lines: dict[Any, int] = {}
    repeats: dict[int, int] = {}
    for row in rows:
        key = importer.natural_key(row)
        if key is None:
            continue
        first = key_lines.setdefault(key, row.line)
        if first != row.line:
            repeats[row.line] = first
    ordered, loops = importer.order(rows)
    return PreparedFile(
        kind=kind, header=header, rows=ordered, repeats=repeats, key_lines=key_lines, loops=loops
    )


def read_cells(row: SourceRow, prepared: PreparedFile) -> tuple[dict[str, Any], list[RowError]]:
    """The row's values by column key (blank cells left out), and its cells' problems."""
    header = prepared.header
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    if row.extra_cells:
        errors.append(
            RowError(
                row.line,
                "",
                "",
                f"has {header.width + row.extra_cells} cells but the header names {header.width} "
                "columns (a separator too many, or a value with a comma that is not quoted?)",
            )
        )
    for column in header.all_columns:
        cell = row.cells.get(column.key, "")
        if not cell.strip():
            if column.required:
                errors.append(
                    RowError(
                        row.line, header.header_of(column.key), "", f"missing {column.missing}"
                    )
                )
            continue
        try:
            values[column.key] = column.parse(cell)
        except CellRefused as refusal:
            errors.append(
                RowError(row.line, header.header_of(column.key), shown(cell), str(refusal))
            )
    return values, errors


class Owners:
    """Users by username (case aside), loaded a chunk at a time and kept for the run."""

    def __init__(self) -> None:
        self.known: dict[str, User | None] = {}

    def load(self, usernames: Iterable[str]) -> None:
        wanted = {name.lower() for name in usernames} - self.known.keys()
        if not wanted:
            return
        found: dict[str, list[User]] = defaultdict(list)
        users = User.objects.annotate(lower_username=Lower("username")).filter(
            lower_username__in=wanted
        )
        for user in users:
            found[user.username.lower()].append(user)
        for name in wanted:
            matches = found.get(name, [])
            exact = [user for user in matches if user.username.lower() == name]
            self.known[name] = exact[0] if len(exact) == 1 else None

    def resolve(self, username: str, row: SourceRow, column: str) -> tuple[User | None, list]:
        user = self.known.get(username.lower())
        if user is None:
            return None, [
                RowError(row.line, column, shown(username), "unknown owner: no user has it")
            ]
        if not user.is_active:
            return None, [RowError(row.line, column, shown(username), "the owner is deactivated")]
        return user, []


def changes(record, wanted: dict[str, Any], prepared: PreparedFile) -> dict[str, Any]:
    """The fields of `wanted` whose value differs from the record's."""
    by_key = {column.key: column for column in prepared.header.all_columns}
    changed = {}
    for key, value in wanted.items():
        compared = value.pk if key in REFERENCES and value is not None else value
        if by_key[key].current_value(record) != compared:
            changed[key] = value
    return changed


# Columns other apps register for custom fields (customfields.imports) are keyed
# `cf_<key>`; their values go into the record's `custom` JSON, over what it holds.
CUSTOM_PREFIX = "cf_"


def with_custom(fields: dict[str, Any], record=None) -> dict[str, Any]:
    """`fields` with the custom field columns folded into `custom` (keeping the record's
    other custom values)."""
    custom = {
        name[len(CUSTOM_PREFIX) :]: fields.pop(name)
        for name in list(fields)
        if name.startswith(CUSTOM_PREFIX)
    }
    if custom:
        fields["custom"] = {**(record.custom if record is not None else {}), **custom}
    return fields


def grouped(records: Iterable, key) -> dict[Any, list]:
    groups: dict[Any, list] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    return groups


# Organizations ---------------------------------------------------------------------------


class OrganizationImporter:
    kind = ORGANIZATIONS

    def __init__(self) -> None:
        self.owners = Owners()

    @staticmethod
    def natural_key(row: SourceRow) -> str | None:
        return organization_name_key(row.cells.get("name", "")) or None

    def order(self, rows: list[SourceRow]) -> tuple[list[SourceRow], set[int]]:
        """Parents before their subsidiaries (a parent further down the file is imported
        first); the lines of rows whose parents lead back to them."""
        first_by_key: dict[str, SourceRow] = {}
        for row in rows:
            key = self.natural_key(row)
            if key:
                first_by_key.setdefault(key, row)

        def parent_row(row: SourceRow) -> SourceRow | None:
            parent = first_by_key.get(organization_name_key(row.cells.get("parent", "")))
            return parent if parent is not None and parent.line != row.line else None

        placed: set[int] = set()
        ordered: list[SourceRow] = []
        loops: set[int] = set()
        for row in rows:
            chain: list[SourceRow] = []
            on_chain: set[int] = set()
            current: SourceRow | None = row
            while current is not None and current.line not in placed:
                if current.line in on_chain:
                    loops.update(r.line for r in chain[chain.index(current) :])
                    break
                chain.append(current)
                on_chain.add(current.line)
                current = parent_row(current)
            for link in reversed(chain):
                placed.add(link.line)
                ordered.append(link)
        return ordered, loops

    def apply(self, rows: list[SourceRow], *, actor, prepared: PreparedFile) -> list[RowResult]:
        """Import a chunk of rows (the caller holds the transaction)."""
        read = [(row, *read_cells(row, prepared)) for row in rows]
        keys = set()
        for _, values, _ in read:
            for name in ("name", "parent"):
                if values.get(name):
                    keys.add(organization_name_key(values[name]))
        self.owners.load(values["owner"] for _, values, _ in read if values.get("owner"))
        by_key = grouped(
            Organization.objects.filter(name_key__in=keys).select_related("parent"),
            lambda organization: organization.name_key,
        )
        return [
            self.apply_row(row, values, errors, actor=actor, by_key=by_key, prepared=prepared)
            for row, values, errors in read
        ]

    def apply_row(self, row, values, errors, *, actor, by_key, prepared) -> RowResult:
        header = prepared.header
        name_column = header.header_of("name")
        key = organization_name_key(values["name"]) if "name" in values else None
        if "name" in values and not key:
            errors.append(RowError(row.line, name_column, shown(values["name"]), "is not a name"))
        if row.line in prepared.repeats:
            errors.append(
                RowError(
                    row.line,
                    name_column,
                    shown(values.get("name", "")),
                    f"repeats line {prepared.repeats[row.line]} (the same organization once "
                    "case, accents, punctuation and legal suffixes are set aside)",
                )
            )
        matches = by_key.get(key, []) if key else []
        if len(matches) > 1:
            errors.append(
                RowError(
                    row.line,
                    name_column,
                    shown(values["name"]),
                    f"{len(matches)} organizations in the CRM have this name: merge them first",
                )
            )
        wanted = {k: v for k, v in values.items() if k not in REFERENCES and k != "name"}
        if "owner" in values:
            wanted["owner"], problems = self.owners.resolve(
                values["owner"], row, header.header_of("owner")
            )
            errors += problems
        if "parent" in values:
            wanted["parent"], problems = self.parent(row, values, key, by_key, prepared)
            errors += problems
        organization = matches[0] if len(matches) == 1 else None
        parent = wanted.get("parent")
        if (
            organization is not None
            and parent is not None
            and parent_would_loop(organization, parent)
        ):
            errors.append(
                RowError(
                    row.line,
                    header.header_of("parent"),
                    shown(values["parent"]),
                    f"is a subsidiary of {organization.name}: that would be a loop",
                )
            )
        if errors:
            return RowResult(row.line, Outcome.REJECTED, errors)
        if organization is None:
            organization = services.organization_create(
                actor=actor, name=values["name"], **with_custom(wanted)
            )
            by_key[key] = [organization]
            return RowResult(row.line, Outcome.CREATED)
        changed = changes(organization, wanted, prepared)
        if not changed:
            return RowResult(row.line, Outcome.UNCHANGED)
        services.organization_update(
            organization=organization, actor=actor, **with_custom(changed, organization)
        )
        return RowResult(row.line, Outcome.UPDATED)

    def parent(self, row, values, key, by_key, prepared) -> tuple[Organization | None, list]:
        column, name = prepared.header.header_of("parent"), values["parent"]
        parent_key = organization_name_key(name)

        def refused(reason: str) -> tuple[None, list]:
            return None, [RowError(row.line, column, shown(name), reason)]

        if parent_key == key:
            return refused("an organization cannot be its own parent")
        if row.line in prepared.loops:
            return refused("its parents in this file lead back to it: a loop")
        matches = by_key.get(parent_key, [])
        if len(matches) > 1:
            return refused(f"{len(matches)} organizations in the CRM have this name")
        if not matches:
            line = prepared.key_lines.get(parent_key)
            if line is not None:
                return refused(f"unknown parent organization: its row (line {line}) was rejected")
            return refused("unknown parent organization: not in the CRM nor in this file")
        return matches[0], []


# Contacts --------------------------------------------------------------------------------


class ContactImporter:
    kind = CONTACTS

    def __init__(self) -> None:
        self.owners = Owners()

    @staticmethod
    def natural_key(row: SourceRow) -> tuple[str, ...] | None:
        address = email_key(row.cells.get("email", ""))
        if address:
            return ("email", address)
        first, last = row.cells.get("first_name", ""), row.cells.get("last_name", "")
        organization = organization_name_key(row.cells.get("organization", ""))
        name = fold(f"{first.strip()} {last.strip()}")
        return ("name", organization, name) if organization and name else None

    @staticmethod
    def order(rows: list[SourceRow]) -> tuple[list[SourceRow], set[int]]:
        return rows, set()

    def apply(self, rows: list[SourceRow], *, actor, prepared: PreparedFile) -> list[RowResult]:
        """Import a chunk of rows (the caller holds the transaction)."""
        read = [(row, *read_cells(row, prepared)) for row in rows]
        organization_keys = {
            organization_name_key(values["organization"])
            for _, values, _ in read
            if values.get("organization")
        }
        self.owners.load(values["owner"] for _, values, _ in read if values.get("owner"))
        organizations = grouped(
            Organization.objects.filter(name_key__in=organization_keys),
            lambda organization: organization.name_key,
        )
        addresses = {email_key(values["email"]) for _, values, _ in read if values.get("email")}
        by_email = grouped(
            Contact.objects.filter(email_key__in=addresses), lambda contact: contact.email_key
        )
        by_name = grouped(
            Contact.objects.filter(self.namesakes(read, organizations, by_email)),
            lambda contact: (contact.organization_id, contact.full_name_key),
        )
        return [
            self.apply_row(
                row,
                values,
                errors,
                actor=actor,
                organizations=organizations,
                by_email=by_email,
                by_name=by_name,
                prepared=prepared,
            )
            for row, values, errors in read
        ]

    @staticmethod
    def namesakes(read, organizations, by_email) -> Q:
        """Which contacts may match the chunk's rows by name: at their organizations, with
        their names, and without an e-mail address for rows that have one. Rows matched by
        e-mail address need none, so a file of known addresses reads no namesakes."""
        wanted: dict[bool, tuple[set[int], set[str]]] = {
            True: (set(), set()),
            False: (set(), set()),
        }
        for _, values, _ in read:
            if not (values.get("first_name") and values.get("last_name")):
                continue
            group = organizations.get(organization_name_key(values.get("organization", "")), [])
            address = email_key(values.get("email", ""))
            if len(group) != 1 or (address and address in by_email):
                continue
            organization_ids, names = wanted[bool(address)]
            organization_ids.add(group[0].pk)
            names.add(fold(f"{values['first_name']} {values['last_name']}"))
        condition = Q(pk__in=[])
        for has_address, (organization_ids, names) in wanted.items():
            if organization_ids:
                condition |= Q(organization_id__in=organization_ids, full_name_key__in=names) & (
                    Q(email_key="") if has_address else Q()
                )
        return condition

    def apply_row(
        self, row, values, errors, *, actor, organizations, by_email, by_name, prepared
    ) -> RowResult:
        header = prepared.header
        organization = None
        if "organization" in values:
            column, text = header.header_of("organization"), values["organization"]
            matches = organizations.get(organization_name_key(text), [])
            if not matches:
                errors.append(
                    RowError(
                        row.line,
                        column,
                        shown(text),
                        "unknown organization: import it (or fix the name) first",
                    )
                )
            elif len(matches) > 1:
                errors.append(
                    RowError(
                        row.line,
                        column,
                        shown(text),
                        f"{len(matches)} organizations in the CRM have this name: merge them first",
                    )
                )
            else:
                organization = matches[0]
        if row.line in prepared.repeats:
            errors.append(
                RowError(
                    row.line,
                    "",
                    "",
                    f"repeats line {prepared.repeats[row.line]} (the same contact: "
                    "the same e-mail address, or the same name at the same organization)",
                )
            )
        wanted = {k: v for k, v in values.items() if k not in REFERENCES}
        if "owner" in values:
            wanted["owner"], problems = self.owners.resolve(
                values["owner"], row, header.header_of("owner")
            )
            errors += problems
        contact, by, problem = None, "", None
        if organization is not None and not errors:
            contact, by, problem = self.match(values, organization, by_email, by_name)
            if problem:
                errors.append(RowError(row.line, "", "", problem))
        if errors:
            return RowResult(row.line, Outcome.REJECTED, errors)
        assert organization is not None
        if contact is None:
            contact = services.contact_create(
                actor=actor, organization=organization, **with_custom(wanted)
            )
            if contact.email_key:
                by_email[contact.email_key].append(contact)
            by_name[(organization.pk, contact.full_name_key)].append(contact)
            return RowResult(row.line, Outcome.CREATED)
        # What matched the row is kept as the CRM spells it.
        if by == "email":
            wanted.pop("email", None)
            wanted["organization"] = organization
        else:
            wanted.pop("first_name", None)
            wanted.pop("last_name", None)
        changed = changes(contact, wanted, prepared)
        if not changed:
            return RowResult(row.line, Outcome.UNCHANGED)
        services.contact_update(contact=contact, actor=actor, **with_custom(changed, contact))
        return RowResult(row.line, Outcome.UPDATED)

    @staticmethod
    def match(values, organization, by_email, by_name) -> tuple[Contact | None, str, str | None]:
        """The contact the row describes (None: a new one), how it was found, or a problem."""
        address = email_key(values.get("email", ""))
        if address:
            same_address = by_email.get(address, [])
            if len(same_address) > 1:
                return (
                    None,
                    "",
                    f"{len(same_address)} contacts have this e-mail address: merge them first",
                )
            if same_address:
                return same_address[0], "email", None
        name = fold(f"{values['first_name']} {values['last_name']}")
        same_name = [
            contact
            for contact in by_name.get((organization.pk, name), [])
            if not address or not contact.email
        ]
        if len(same_name) > 1:
            return (
                None,
                "",
                (
                    f"{len(same_name)} contacts at {organization.name} have this name"
                    f"{' and no e-mail address' if address else ''}: merge them first"
                ),
            )
        return (same_name[0], "name", None) if same_name else (None, "", None)


IMPORTERS: dict[str, Any] = {
    ORGANIZATIONS: OrganizationImporter,
    CONTACTS: ContactImporter,
}


def importer_for(kind: str):
    """A fresh importer of `kind` (it caches users for one run)."""
    return IMPORTERS[kind]()

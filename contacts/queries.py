"""Reads of organizations and contacts. Every read starts from the visibility querysets of
`contacts.access`, so a list, a search or a detail panel never shows what the user may not see.

Lists page with a keyset cursor (never OFFSET): a deep page costs what the first one does.
Search matches the start of indexed, folded keys (contacts.keys), so it is an index range scan
at any size: an organization by its name, a contact by first or last name or e-mail.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Lower, RowNumber

from activities.models import DUE_ORDER, Activity
from contacts.access import can_change_record, contacts_visible_to, organizations_visible_to
from contacts.keys import email_key, fold, organization_name_key
from contacts.models import Contact, MergeRecord, Organization
from crm.http import parse_int
from customfields.queries import CustomFilter, apply_filters
from customfields.values import shown_fields
from pipeline.models import Deal, DealStatus
from teams.access import people_visible_to
from teams.models import User

PAGE_SIZE = 50
SUGGESTION_LIMIT = 10
DEALS_PER_GROUP = 10
ACTIVITIES_SHOWN = 10
CONTACTS_SHOWN = 25
SUBSIDIARIES_SHOWN = 25
HISTORY_SHOWN = 20
SEARCH_MAX_LENGTH = 100


# Search ----------------------------------------------------------------------------------


def organization_search(organizations: QuerySet[Organization], text: str) -> QuerySet:
    """Organizations whose folded name starts with `text` (or equals it without "Inc" & co)."""
    prefix = fold(text)
    if not prefix:
        return organizations
    return organizations.filter(
        Q(name_key__startswith=prefix) | Q(name_key=organization_name_key(text))
    )


def contact_search(contacts: QuerySet[Contact], text: str) -> QuerySet:
    """Contacts whose first name, last name or e-mail address starts with `text`."""
    prefix = fold(text)
    if not prefix:
        return contacts
    return contacts.filter(
        Q(full_name_key__startswith=prefix)
        | Q(sort_name_key__startswith=prefix)
        | Q(email_key__startswith=email_key(text))
    )


def organization_exact_matches(organizations: QuerySet[Organization], text: str) -> QuerySet:
    """Organizations named exactly `text` (case and spacing aside): what a typed name means."""
    key = organization_name_key(text)
    if not key:
        return organizations.none()
    return organizations.filter(name_key=key, name__iexact=text.strip())


def contact_exact_matches(contacts: QuerySet[Contact], text: str) -> QuerySet:
    """Contacts with exactly this e-mail address or full name (case and accents aside)."""
    if not text.strip():
        return contacts.none()
    if "@" in text:
        return contacts.filter(email_key=email_key(text))
    return contacts.filter(full_name_key=fold(text))


def organization_suggestions(user, text: str, *, limit: int = SUGGESTION_LIMIT) -> list:
    """At most `limit` organizations `user` may see matching `text` (the typeahead).

    Without text: the ones changed most recently.
    """
    organizations = organizations_visible_to(user).select_related("owner")
    if not fold(text):
        return list(organizations.order_by("-updated_at", "-id")[:limit])
    matches = ORGANIZATION_SORTS["name"].apply(
        organization_search(organizations, text), searching=True
    )
    return list(matches[:limit])


def contact_suggestions(
    user, text: str, *, organization_id: int | None = None, limit: int = SUGGESTION_LIMIT
) -> list:
    """At most `limit` contacts `user` may see matching `text`, of one organization if given."""
    contacts = contacts_visible_to(user).select_related("organization")
    if organization_id is not None:
        contacts = contacts.filter(organization_id=organization_id)
    if not fold(text):
        return list(contacts.order_by("-updated_at", "-id")[:limit])
    matches = CONTACT_SORTS["name"].apply(contact_search(contacts, text), searching=True)
    return list(matches[:limit])


def parent_would_loop(organization: Organization, parent: Organization) -> bool:
    """Whether making `parent` the parent of `organization` closes a loop of subsidiaries."""
    seen: set[int] = set()
    current: Organization | None = parent
    while current is not None and current.pk not in seen:
        if current.pk == organization.pk:
            return True
        seen.add(current.pk)
        current = current.parent
    return False


# Lists -----------------------------------------------------------------------------------


def unindexed(column: str) -> Any:
    """`column`, written so that PostgreSQL cannot read it in order from an index.

    A text search matches rows that sit together in one stretch of the name index (all the
    "Lo..." names). Asked for a page in index order, the planner may walk that index from
    the start, filtering row by row, and read most of the table before reaching them. Given
    the order as an expression equal to the column, it fetches the matches through the
    prefix indexes and sorts just those: the cost follows the number of matches, never the
    size of the table.
    """
    if column in OWNER_KEYS or column == "id":
        return F(column)
    if column == "updated_at":
        return Coalesce(F("updated_at"), F("created_at"))
    return Coalesce(F(column), Value(""))


# Sorting by owner: by first and last name (as names are shown), the owner's id between two
# people of the same name; records without an owner come first. Plain columns of the joined
# user, not one concatenated string, so sorting every visible row stays cheap.
OWNER_KEYS: dict[str, Any] = {
    "owner_first": Lower(Coalesce(F("owner__first_name"), Value(""))),
    "owner_last": Lower(Coalesce(F("owner__last_name"), Value(""))),
    "owner_ref": Coalesce(F("owner_id"), Value(0)),
}
BY_OWNER = (("owner_first", False), ("owner_last", False), ("owner_ref", False))


@dataclass(frozen=True)
class SortOrder:
    """A list order: the columns of its keyset, the last one unique (the id)."""

    label: str
    columns: tuple[tuple[str, bool], ...]  # (column or OWNER_KEYS alias, descending)

    def apply(self, rows: QuerySet, *, searching: bool = False) -> QuerySet:
        """Order `rows`; `searching` when they are narrowed by a text search (see below)."""
        keys = {name: OWNER_KEYS[name] for name, _ in self.columns if name in OWNER_KEYS}
        if keys:
            rows = rows.annotate(**keys)
        terms = []
        for name, descending in self.columns:
            term = unindexed(name) if searching else F(name)
            terms.append(term.desc() if descending else term.asc())
        return rows.order_by(*terms)

    def after(self, rows: QuerySet, values: tuple) -> QuerySet:
        """The rows that come after the row whose sort values are `values`.

        The first column also gets a plain bound, so the database starts its index scan
        there instead of filtering from the top.
        """
        (first, first_desc), first_value = self.columns[0], values[0]
        rows = rows.filter(**{f"{first}__{'lte' if first_desc else 'gte'}": first_value})
        condition = Q()
        equal: dict[str, Any] = {}
        for (column, descending), value in zip(self.columns, values, strict=True):
            condition |= Q(**equal, **{f"{column}__{'lt' if descending else 'gt'}": value})
            equal[column] = value
        return rows.filter(condition)

    def values_of(self, row: Model) -> tuple:
        return tuple(getattr(row, column) for column, _ in self.columns)


ORGANIZATION_SORTS = {
    "name": SortOrder("Name", (("name_key", False), ("id", False))),
    "updated": SortOrder("Recently updated", (("updated_at", True), ("id", True))),
    "owner": SortOrder("Owner", (*BY_OWNER, ("name_key", False), ("id", False))),
}
CONTACT_SORTS = {
    "name": SortOrder("Name", (("sort_name_key", False), ("id", False))),
    "updated": SortOrder("Recently updated", (("updated_at", True), ("id", True))),
    "owner": SortOrder("Owner", (*BY_OWNER, ("sort_name_key", False), ("id", False))),
}


class BadCursor(ValueError):
    """A page link whose cursor was not written by `encode_cursor` for this order."""


def encode_cursor(order: SortOrder, row: Model) -> str:
    values = [
        value.isoformat() if isinstance(value, datetime) else value
        for value in order.values_of(row)
    ]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(order: SortOrder, cursor: str) -> tuple:
    """The sort values in a cursor, checked against the columns of `order`; BadCursor if not."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadCursor("not a cursor") from error
    if not isinstance(values, list) or len(values) != len(order.columns):
        raise BadCursor("wrong shape")
    parsed: list[Any] = []
    for (column, _), value in zip(order.columns, values, strict=True):
        if column in ("id", "owner_ref"):
            number = parse_int(value, minimum=0 if column == "owner_ref" else 1)
            if number is None or not isinstance(value, int):
                raise BadCursor("bad id")
            parsed.append(number)
        elif column == "updated_at":
            try:
                moment = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise BadCursor("bad time")
            parsed.append(moment)
        elif isinstance(value, str) and len(value) <= 1000 and "\x00" not in value:
            parsed.append(value)
        else:
            raise BadCursor("bad key")
    return tuple(parsed)


@dataclass(frozen=True)
class ListFilters:
    """What a list is narrowed to and how it is sorted. Ids are already parsed."""

    search: str = ""
    owner_id: int | None = None
    sort: str = "name"
    organization_id: int | None = None  # contacts of one organization
    custom: tuple[CustomFilter, ...] = ()  # custom fields: cf_<key>=value

    @property
    def is_narrowed(self) -> bool:
        return bool(self.search or self.owner_id or self.organization_id or self.custom)

    def query(self, **extra) -> dict[str, Any]:
        """The filters as URL parameters (for links to more pages and other orders)."""
        params = {
            "q": self.search,
            "owner": self.owner_id or "",
            "sort": self.sort if self.sort != "name" else "",
            "organization": self.organization_id or "",
            **{custom.param: custom.value for custom in self.custom},
            **extra,
        }
        return {name: value for name, value in params.items() if value not in ("", None)}


@dataclass
class ListPage:
    rows: list
    filters: ListFilters
    next_cursor: str | None = None
    owners: list = field(default_factory=list)
    # Organizations shown in a contact list that the viewer may open (the others are names only).
    visible_organization_ids: set[int] = field(default_factory=set)

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def list_owners(user) -> list[User]:
    """Whom a list can be narrowed to: the people whose deals `user` sees (themselves for a rep)."""
    return list(people_visible_to(user).order_by("first_name", "last_name", "username"))


def _page(rows: QuerySet, order: SortOrder, after: tuple | None, filters: ListFilters) -> ListPage:
    rows = order.apply(rows, searching=bool(fold(filters.search)))
    if after is not None:
        rows = order.after(rows, after)
    found = list(rows[: PAGE_SIZE + 1])
    cursor = encode_cursor(order, found[PAGE_SIZE - 1]) if len(found) > PAGE_SIZE else None
    return ListPage(rows=found[:PAGE_SIZE], filters=filters, next_cursor=cursor)


def organization_rows(user, filters: ListFilters) -> QuerySet[Organization]:
    """The organizations `user` may see, narrowed by the filters (unsorted)."""
    rows = organizations_visible_to(user).select_related("owner")
    if filters.owner_id:
        rows = rows.filter(owner_id=filters.owner_id)
    rows = apply_filters(rows, list(filters.custom))
    return organization_search(rows, filters.search)


def organization_list(user, filters: ListFilters, *, after: tuple | None = None) -> ListPage:
    """One page of the organizations `user` may see, filtered and sorted (one query)."""
    order = ORGANIZATION_SORTS.get(filters.sort, ORGANIZATION_SORTS["name"])
    return _page(organization_rows(user, filters), order, after, filters)


def contact_list(user, filters: ListFilters, *, after: tuple | None = None) -> ListPage:
    """One page of the contacts `user` may see, filtered and sorted, and which of their
    organizations the user may open (two queries)."""
    order = CONTACT_SORTS.get(filters.sort, CONTACT_SORTS["name"])
    # Organizations come in a query of their own for the page's rows: joined, they would be
    # read for every visible contact when the whole list must be sorted (owner, search).
    rows = contact_rows(user, filters).prefetch_related("organization")
    page = _page(rows, order, after, filters)
    page.visible_organization_ids = visible_ids(
        organizations_visible_to(user, per_row=True),
        {contact.organization_id for contact in page.rows},
    )
    return page


def contact_rows(user, filters: ListFilters) -> QuerySet[Contact]:
    """The contacts `user` may see, narrowed by the filters (unsorted)."""
    rows = contacts_visible_to(user).select_related("owner")
    if filters.owner_id:
        rows = rows.filter(owner_id=filters.owner_id)
    if filters.organization_id:
        rows = rows.filter(organization_id=filters.organization_id)
    rows = apply_filters(rows, list(filters.custom))
    return contact_search(rows, filters.search)


def visible_ids(visible: QuerySet, ids: set[int]) -> set[int]:
    """Which of `ids` are in `visible` (one query; none when there is nothing to check)."""
    if not ids:
        return set()
    return set(visible.filter(pk__in=ids).values_list("pk", flat=True))


# Detail pages ----------------------------------------------------------------------------


@dataclass
class DealGroup:
    """Deals of one status: how many, their value per currency, and the latest few."""

    status: str
    label: str
    count: int = 0
    totals: list[tuple[str, Decimal]] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.deals)


def deal_groups(deals: QuerySet[Deal]) -> list[DealGroup]:
    """Open, won and lost deals among `deals`, with count and value totals from SQL, and the
    latest DEALS_PER_GROUP of each (two queries, whatever the number of deals)."""
    groups = {status: DealGroup(status=status, label=label) for status, label in DealStatus.choices}
    totals = (
        deals.order_by()
        .values("status", "currency")
        .annotate(count=Count("pk"), total=Sum("value", default=Decimal("0")))
        .order_by("status", "currency")
    )
    for row in totals:
        group = groups[row["status"]]
        group.count += row["count"]
        group.totals.append((row["currency"], row["total"]))
    rank = Window(
        RowNumber(),
        partition_by=[F("status")],
        order_by=[Coalesce("closed_at", "created_at").desc(), F("id").desc()],
    )
    latest = (
        deals.select_related("stage", "owner")
        .annotate(rank=rank)
        .filter(rank__lte=DEALS_PER_GROUP)
        .order_by("status", "rank")
    )
    for deal in latest:
        groups[deal.status].deals.append(deal)
    return list(groups.values())


@dataclass
class ActivitySummary:
    upcoming: list[Activity]
    recent: list[Activity]


def deal_activities(deals: QuerySet[Deal]) -> ActivitySummary:
    """The next open activities and the latest done ones of `deals` (two queries)."""
    activities = Activity.objects.filter(deal__in=deals.order_by().values("pk")).select_related(
        "deal", "assignee"
    )
    return ActivitySummary(
        upcoming=list(activities.filter(done=False).order_by(*DUE_ORDER)[:ACTIVITIES_SHOWN]),
        recent=list(activities.filter(done=True).order_by("-done_at", "-id")[:ACTIVITIES_SHOWN]),
    )


def merge_history(records: QuerySet[MergeRecord]) -> list[MergeRecord]:
    """A record's merges, newest first."""
    return list(records.select_related("merged_by")[:HISTORY_SHOWN])


@dataclass
class OrganizationDetail:
    organization: Organization
    can_change: bool
    parent_visible: bool
    deal_groups: list[DealGroup]
    activities: ActivitySummary
    contacts: list[Contact]
    more_contacts: bool
    subsidiaries: list[Organization]
    history: list[MergeRecord]
    custom_fields: list[tuple[str, str]]


def organization_detail(organization: Organization, *, user) -> OrganizationDetail:
    """Everything the organization page shows, in a fixed number of queries.

    `organization` comes from `contacts.access.organization_for_user`; deals, contacts and
    subsidiaries are only those `user` may see.
    """
    deals = Deal.objects.visible_to(user).filter(organization=organization)
    # An organization's contacts and subsidiaries are few: each is checked on its own.
    contacts = list(
        contacts_visible_to(user, per_row=True)
        .filter(organization=organization)
        .select_related("owner")
        .order_by("sort_name_key", "id")[: CONTACTS_SHOWN + 1]
    )
    parent_visible = bool(
        organization.parent_id
        and organizations_visible_to(user, per_row=True).filter(pk=organization.parent_id).exists()
    )
    return OrganizationDetail(
        organization=organization,
        can_change=can_change_record(user, organization),
        parent_visible=parent_visible,
        deal_groups=deal_groups(deals),
        activities=deal_activities(deals),
        contacts=contacts[:CONTACTS_SHOWN],
        more_contacts=len(contacts) > CONTACTS_SHOWN,
        subsidiaries=list(
            organizations_visible_to(user, per_row=True).filter(parent=organization)[
                :SUBSIDIARIES_SHOWN
            ]
        ),
        history=merge_history(organization.merges.all()),
        custom_fields=shown_fields(organization),
    )


@dataclass
class ContactDetail:
    contact: Contact
    can_change: bool
    organization_visible: bool
    deal_groups: list[DealGroup]
    activities: ActivitySummary
    history: list[MergeRecord]
    custom_fields: list[tuple[str, str]]


def contact_detail(contact: Contact, *, user) -> ContactDetail:
    """Everything the contact page shows, in a fixed number of queries.

    `contact` comes from `contacts.access.contact_for_user`.
    """
    deals = Deal.objects.visible_to(user).filter(contact=contact)
    return ContactDetail(
        contact=contact,
        can_change=can_change_record(user, contact),
        organization_visible=organizations_visible_to(user, per_row=True)
        .filter(pk=contact.organization_id)
        .exists(),
        deal_groups=deal_groups(deals),
        activities=deal_activities(deals),
        history=merge_history(contact.merges.all()),
        custom_fields=shown_fields(contact),
    )


# Duplicates ------------------------------------------------------------------------------


@dataclass
class Duplicate:
    """An existing record that looks like the one being created.

    `visible` says whether the user may open it; if not, the page says only that it exists
    and who owns it.
    """

    record: Organization | Contact
    visible: bool


DUPLICATES_SHOWN = 5


def _duplicates(records: QuerySet, visible: QuerySet, *, exclude_id: int | None) -> list[Duplicate]:
    if exclude_id is not None:
        records = records.exclude(pk=exclude_id)
    rows = records.select_related("owner").annotate(
        visible=Exists(visible.filter(pk=OuterRef("pk")))
    )
    return [Duplicate(record=row, visible=row.visible) for row in rows[:DUPLICATES_SHOWN]]


def organization_duplicates(*, name: str, user, exclude_id: int | None = None) -> list[Duplicate]:
    """Organizations whose normalised name equals `name`'s (one indexed lookup)."""
    key = organization_name_key(name)
    if not key:
        return []
    return _duplicates(
        Organization.objects.filter(name_key=key).order_by("id"),
        organizations_visible_to(user, per_row=True),
        exclude_id=exclude_id,
    )


def contact_duplicates(*, email: str, user, exclude_id: int | None = None) -> list[Duplicate]:
    """Contacts with the same e-mail address, case aside (one indexed lookup)."""
    key = email_key(email)
    if not key:
        return []
    return _duplicates(
        Contact.objects.filter(email_key=key).select_related("organization").order_by("id"),
        contacts_visible_to(user, per_row=True),
        exclude_id=exclude_id,
    )


# Merging ---------------------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    return value is None or value == ""


def merge_fills(keep: Model, remove: Model) -> list[str]:
    """The editable fields of `keep` that merging `remove` into it fills: blank in `keep`,
    set in `remove` (never `keep` as its own parent)."""
    fills = []
    for column in keep._meta.concrete_fields:
        if column.primary_key or not column.editable:
            continue
        mine, theirs = getattr(keep, column.attname), getattr(remove, column.attname)
        if not _is_blank(mine) or _is_blank(theirs):
            continue
        if column.is_relation and column.related_model is type(keep) and theirs == keep.pk:
            continue
        fills.append(column.name)
    return fills


@dataclass
class MergeRow:
    label: str
    keep: Any
    other: Any
    fills: bool


def merge_comparison(keep: Model, other: Model) -> list[MergeRow]:
    """The editable fields of both records side by side, marking the blanks `other` fills.

    Both come from the access functions, which load the related rows shown here.
    """
    fills = set(merge_fills(keep, other))
    return [
        MergeRow(
            label=str(column.verbose_name),
            keep=getattr(keep, column.name),
            other=getattr(other, column.name),
            fills=column.name in fills,
        )
        for column in keep._meta.concrete_fields
        if not column.primary_key and column.editable
    ]

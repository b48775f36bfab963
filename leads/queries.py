"""Reads of leads. Every list starts from `leads.access.leads_visible_to`."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat

from activities.models import Activity
from contacts.models import Contact, Organization
from crm.http import parse_id, parse_int
from leads.access import leads_visible_to
from leads.models import Lead, LeadLabel, LeadSource, LeadStatus
from leads.scoring import ScoreInputs
from teams.access import people_visible_to
from teams.models import User

INBOX_PAGE = 50
INBOX_ORDER = ["-score", "-created_at", "-id"]
STATUS_CHOICES = [*LeadStatus.choices, ("all", "All")]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# Scoring ---------------------------------------------------------------------------------


def with_score_inputs(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """Annotate leads with what the scoring rules read, in the same single query."""
    activities = Activity.objects.filter(lead=OuterRef("pk"))
    last_done = (
        activities.filter(done=True)
        .order_by()
        .values("lead")
        .annotate(last=Max("done_at"))
        .values("last")
    )
    return leads.select_related("source", "organization", "contact").annotate(
        last_done_at=Subquery(last_done),
        has_open_activity=Exists(activities.filter(done=False)),
    )


def score_inputs_of(lead: Lead) -> ScoreInputs:
    """The scoring inputs of a lead read through `with_score_inputs`."""
    organization, contact = lead.organization, lead.contact
    return ScoreInputs(
        source_name=lead.source.name,
        source_weight=lead.source.weight,
        employees=organization.employees if organization else None,
        contact_email=bool(contact and contact.email),
        contact_phone=bool(contact and contact.phone.strip()),
        value=lead.value,
        currency=lead.currency,
        last_done_at=getattr(lead, "last_done_at", None),
        has_open_activity=bool(getattr(lead, "has_open_activity", False)),
    )


# The inbox -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page of the inbox starts: just after the lead (score, created_at, id)."""

    score: int
    created_at: datetime
    lead_id: int

    @classmethod
    def of(cls, lead: Lead) -> "Cursor":
        return cls(lead.score, lead.created_at, lead.pk)

    @classmethod
    def parse(cls, text: str | None) -> "Cursor | None":
        """A cursor from `?after=SCORE_MICROSECONDS_ID`; None for anything malformed."""
        parts = (text or "").split("_")
        if len(parts) != 3:
            return None
        score, micros, lead_id = parse_int(parts[0]), parse_int(parts[1]), parse_id(parts[2])
        if score is None or micros is None or lead_id is None:
            return None
        try:
            created_at = EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            return None
        return cls(score, created_at, lead_id)

    def __str__(self) -> str:
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)
        return f"{self.score}_{micros}_{self.lead_id}"

    def following(self) -> Q:
        """The leads after this one in inbox order (score, then newest, then id, descending)."""
        return (
            Q(score__lt=self.score)
            | Q(score=self.score, created_at__lt=self.created_at)
            | Q(score=self.score, created_at=self.created_at, id__lt=self.lead_id)
        )


@dataclass(frozen=True)
class LeadFilters:
    """What the inbox is narrowed to. Ids are already validated against the user's options."""

    status: str = LeadStatus.OPEN
    source_id: int | None = None
    label_id: int | None = None
    owner_id: int | None = None
    search: str = ""

    def apply(self, leads: QuerySet[Lead]) -> QuerySet[Lead]:
        if self.status in LeadStatus.values:
            leads = leads.filter(status=self.status)
        if self.source_id:
            leads = leads.filter(source_id=self.source_id)
        if self.label_id:
            leads = leads.filter(labels=self.label_id)
        if self.owner_id:
            leads = leads.filter(owner_id=self.owner_id)
        if self.search:
            leads = leads.filter(search_condition(self.search))
        return leads

    @property
    def is_narrowed(self) -> bool:
        return bool(
            self.status != LeadStatus.OPEN
            or self.source_id
            or self.label_id
            or self.owner_id
            or self.search
        )


def search_condition(text: str) -> Q:
    """Title, organization name or contact name (first, last or both) containing `text`; a
    contact's organization counts too.

    Organizations and contacts are matched first and leads by their ids: no join per lead.
    """
    organizations = Organization.objects.filter(name__icontains=text).values("pk")
    contacts = (
        Contact.objects.annotate(full_name=Concat("first_name", Value(" "), "last_name"))
        .filter(Q(full_name__icontains=text) | Q(organization__in=organizations))
        .values("pk")
    )
    return Q(title__icontains=text) | Q(organization__in=organizations) | Q(contact__in=contacts)


@dataclass
class InboxPage:
    leads: list[Lead]
    total: int
    next_cursor: Cursor | None

    @property
    def next_after(self) -> str:
        """The `?after=` of the next page ('' on the last page)."""
        return str(self.next_cursor) if self.next_cursor else ""


def lead_inbox(user, filters: LeadFilters, *, after: Cursor | None = None) -> InboxPage:
    """One page of the leads `user` may see that match the filters, best score first.

    Keyset pagination: a deep page costs what the first one does. Three queries: the page,
    the labels of its leads, and the count of all matching leads.
    """
    leads = filters.apply(leads_visible_to(user))
    page = leads.select_related("source", "organization", "contact", "owner").prefetch_related(
        "labels"
    )
    if after is not None:
        page = page.filter(after.following())
    rows = list(page.order_by(*INBOX_ORDER)[: INBOX_PAGE + 1])
    more = len(rows) > INBOX_PAGE
    rows = rows[:INBOX_PAGE]
    return InboxPage(
        leads=rows,
        total=leads.count(),
        next_cursor=Cursor.of(rows[-1]) if more else None,
    )


@dataclass
class InboxOptions:
    """The choices of the inbox's filters: sources, labels and (managers, admins) owners."""

    sources: list[LeadSource]
    labels: list[LeadLabel]
    owners: list[User]


def inbox_options(user) -> InboxOptions:
    """Sources and labels to filter by; owners only for those who see someone else's leads."""
    owners: list[User] = []
    if user.is_admin or user.is_manager:
        owners = list(people_visible_to(user).order_by("first_name", "last_name", "username"))
    return InboxOptions(
        sources=list(LeadSource.objects.order_by("name")),
        labels=list(LeadLabel.objects.order_by("name")),
        owners=owners,
    )


# One lead --------------------------------------------------------------------------------


def lead_labels(lead: Lead) -> list[LeadLabel]:
    """The lead's labels, by name."""
    return list(lead.labels.order_by("name"))


def open_leads_to_rescore(*, source: LeadSource | None = None) -> QuerySet[Lead]:
    """Open leads (of one source, when given), with their scoring inputs."""
    leads = Lead.objects.filter(status=LeadStatus.OPEN)
    if source is not None:
        leads = leads.filter(source=source)
    return with_score_inputs(leads)

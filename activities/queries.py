"""Reads of activities, notifications and digests. Lists start from `Deal.objects.visible_to`
(and, for activities on leads, `Lead.objects.visible_to`)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from activities.models import DUE_ORDER, Activity, ActivityType, Notification
from leads.access import can_change_lead, leads_visible_to
from leads.models import Lead
from pipeline.access import can_change_deal
from pipeline.models import Deal, Stage
from teams.access import people_visible_to
from teams.models import User

SECTION_LIMIT = 100
PANEL_DONE_LIMIT = 10
DIGEST_ITEM_LIMIT = 20


# The board -------------------------------------------------------------------------------


def next_open_activities(deal_ref: Any = None) -> QuerySet[Activity]:
    """A deal's open activities, the next one first: earliest day, all-day before timed."""
    return Activity.objects.filter(deal=deal_ref or OuterRef("pk"), done=False).order_by(*DUE_ORDER)


def with_next_activity(
    deals: QuerySet[Deal], *, now: datetime | None = None, today: date | None = None
) -> QuerySet[Deal]:
    """Annotate each deal with its next open activity, in the same single query.

    Adds `next_activity_id`, `next_activity_type`, `next_activity_subject`,
    `next_activity_due_date`, `next_activity_due_at` (all None when the deal has no open
    activity) and `next_activity_is_overdue`. Overdue means: its `due_at` has passed, or it
    is all-day and its `due_date` is before today in the active time zone (the viewer's,
    during a request).
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    upcoming = next_open_activities()
    deals = deals.annotate(
        next_activity_id=Subquery(upcoming.values("pk")[:1]),
        next_activity_type=Subquery(upcoming.values("type")[:1]),
        next_activity_subject=Subquery(upcoming.values("subject")[:1]),
        next_activity_due_date=Subquery(upcoming.values("due_date")[:1]),
        next_activity_due_at=Subquery(upcoming.values("due_at")[:1]),
    )
    return deals.annotate(
        next_activity_is_overdue=Case(
            When(next_activity_due_at__lt=now, then=Value(True)),
            When(
                next_activity_due_at__isnull=True,
                next_activity_due_date__lt=today,
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


# The deal page ---------------------------------------------------------------------------


@dataclass
class ActivityPanel:
    """What the activity panel of a deal's (or a lead's) page shows. Views add the form they
    are handling."""

    deal: Deal | None
    can_change: bool
    open: list[Activity]
    done: list[Activity]
    done_count: int
    form: Any = None
    editing: Activity | None = None
    completed: Activity | None = None
    lead: Lead | None = None

    @property
    def next_activity(self) -> Activity | None:
        return self.open[0] if self.open else None

    @property
    def about(self) -> Deal | Lead:
        """The deal or the lead the panel is on."""
        about = self.deal if self.deal is not None else self.lead
        assert about is not None
        return about

    @property
    def kind(self) -> str:
        return "deal" if self.deal is not None else "lead"

    @property
    def create_url(self) -> str:
        name = "activity-create" if self.deal is not None else "lead-activity-create"
        return reverse(f"activities:{name}", args=[self.about.pk])

    @property
    def refresh_url(self) -> str:
        name = "deal-panel" if self.deal is not None else "lead-panel"
        return reverse(f"activities:{name}", args=[self.about.pk])

    @property
    def page_url(self) -> str:
        return page_url_of(self.about)


def page_url_of(about: Deal | Lead) -> str:
    """The page of a deal or a lead."""
    if isinstance(about, Lead):
        return reverse("leads:lead-detail", args=[about.pk])
    return reverse("pipeline:deal-detail", args=[about.pk])


def deal_activity_panel(deal: Deal, *, user: User) -> ActivityPanel:
    """The deal's open activities (next first) and its most recently completed ones.

    `deal` must come from `pipeline.access.deal_for_user`; this does not check access.
    """
    open_activities = list(next_open_activities(deal).select_related("assignee"))
    done = deal.activities.filter(done=True).select_related("assignee").order_by("-done_at", "-id")
    return ActivityPanel(
        deal=deal,
        can_change=can_change_deal(user, deal),
        open=open_activities,
        done=list(done[:PANEL_DONE_LIMIT]),
        done_count=done.count(),
    )


def lead_activity_panel(lead: Lead, *, user: User) -> ActivityPanel:
    """The lead's open activities (next first) and its most recently completed ones.

    `lead` must come from `leads.access.lead_for_user`; this does not check access.
    """
    activities = Activity.objects.filter(lead=lead).select_related("assignee")
    done = activities.filter(done=True).order_by("-done_at", "-id")
    return ActivityPanel(
        deal=None,
        lead=lead,
        can_change=can_change_lead(user, lead),
        open=list(activities.filter(done=False).order_by(*DUE_ORDER)),
        done=list(done[:PANEL_DONE_LIMIT]),
        done_count=done.count(),
    )


# The /activities/ page -------------------------------------------------------------------


@dataclass
class AgendaSection:
    key: str
    title: str
    count: int
    activities: list[Activity] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.activities)


@dataclass
class Agenda:
    person: User
    status: str
    type: str
    sections: list[AgendaSection]

    @property
    def total(self) -> int:
        return sum(section.count for section in self.sections)


AGENDA_STATUSES = [("open", "To do"), ("done", "Done"), ("all", "All")]


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=tz)


def agenda_buckets(*, now: datetime, tz: ZoneInfo) -> dict[str, Q]:
    """Open activities split into overdue, today, this week (to Sunday) and later, in `tz`."""
    today = timezone.localdate(now, tz)
    tomorrow = today + timedelta(days=1)
    next_monday = today + timedelta(days=7 - today.weekday())
    tomorrow_start, next_week_start = day_start(tomorrow, tz), day_start(next_monday, tz)
    timed, all_day = Q(due_at__isnull=False), Q(due_at__isnull=True)
    return {
        "overdue": (timed & Q(due_at__lt=now)) | (all_day & Q(due_date__lt=today)),
        "today": (timed & Q(due_at__gte=now, due_at__lt=tomorrow_start))
        | (all_day & Q(due_date=today)),
        "week": (timed & Q(due_at__gte=tomorrow_start, due_at__lt=next_week_start))
        | (all_day & Q(due_date__gte=tomorrow, due_date__lt=next_monday)),
        "later": (timed & Q(due_at__gte=next_week_start))
        | (all_day & Q(due_date__gte=next_monday)),
    }


BUCKET_TITLES = {
    "overdue": "Overdue",
    "today": "Today",
    "week": "This week",
    "later": "Later",
    "done": "Done",
}


def activity_agenda(
    *,
    viewer: User,
    person: User,
    status: str = "open",
    type: str = "",
    now: datetime | None = None,
) -> Agenda:
    """`person`'s activities on deals and leads `viewer` may see, by when they are due in the
    viewer's zone.

    A fixed number of queries: one count per section in a single aggregate, then one query
    per non-empty section (at most SECTION_LIMIT rows each).
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    status = status if status in dict(AGENDA_STATUSES) else "open"
    type = type if type in ActivityType.values else ""
    activities = Activity.objects.filter(
        Q(deal__in=Deal.objects.visible_to(viewer).values("pk"))
        | Q(lead__in=leads_visible_to(viewer).values("pk")),
        assignee=person,
    )
    if type:
        activities = activities.filter(type=type)
    buckets: dict[str, Q] = {}
    if status in ("open", "all"):
        buckets |= {
            key: Q(done=False) & condition
            for key, condition in agenda_buckets(now=now, tz=tz).items()
        }
    if status in ("done", "all"):
        buckets["done"] = Q(done=True)
    counts = activities.aggregate(
        **{key: Count("pk", filter=condition) for key, condition in buckets.items()}
    )
    sections = []
    for key, condition in buckets.items():
        section = AgendaSection(key=key, title=BUCKET_TITLES[key], count=counts[key])
        if section.count:
            rows = activities.filter(condition).select_related(
                "deal", "deal__organization", "lead", "lead__organization"
            )
            rows = rows.order_by("-done_at", "-id") if key == "done" else rows.order_by(*DUE_ORDER)
            section.activities = list(rows[:SECTION_LIMIT])
        sections.append(section)
    return Agenda(person=person, status=status, type=type, sections=sections)


# Notifications ---------------------------------------------------------------------------


def unread_notification_count(user: User) -> int:
    """How many of `user`'s notifications are unread (the bell's badge)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    """`user`'s notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


# Digests ---------------------------------------------------------------------------------


def rotting_condition(*, now: datetime) -> Q:
    """Open deals idle in their stage past its rotting days, as `Deal.is_rotting` counts them."""
    condition = Q(pk__isnull=True)  # false: no stage rots
    for stage_id, days in Stage.objects.filter(rotting_days__isnull=False).values_list(
        "pk", "rotting_days"
    ):
        # days_in_stage > rotting_days  <=>  in the stage for at least rotting_days + 1 days
        idle_for = timedelta(days=(days or 0) + 1)
        condition |= Q(stage_id=stage_id, stage_entered_at__lte=now - idle_for)
    return condition


def overdue_condition(*, now: datetime, today: date) -> Q:
    return Q(done=False) & (
        Q(due_at__isnull=False, due_at__lt=now) | Q(due_at__isnull=True, due_date__lt=today)
    )


@dataclass
class DigestPerson:
    """One person's part of a digest: counts, and for the recipient themselves the items."""

    person: User
    overdue_count: int = 0
    rotting_count: int = 0
    idle_count: int = 0
    overdue: list[Activity] = field(default_factory=list)
    rotting: list[Deal] = field(default_factory=list)
    idle: list[Deal] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.overdue_count or self.rotting_count or self.idle_count)


@dataclass
class DigestContent:
    recipient: User
    day: date
    own: DigestPerson
    team: list[DigestPerson]

    @property
    def is_empty(self) -> bool:
        return self.own.is_empty and all(person.is_empty for person in self.team)

    @property
    def totals(self) -> tuple[int, int, int]:
        """Overdue activities, rotting deals and deals with no next step, everyone included."""
        people = [self.own, *self.team]
        return (
            sum(p.overdue_count for p in people),
            sum(p.rotting_count for p in people),
            sum(p.idle_count for p in people),
        )


def digest_for(recipient: User, *, now: datetime | None = None) -> DigestContent:
    """A user's morning digest: their overdue activities, rotting deals and deals with no next
    activity; for a manager (or admin) also the same counted per rep of their teams.

    Days are the recipient's: "overdue" means before today in their time zone.
    """
    now = now or timezone.now()
    tz = recipient.zoneinfo
    today = timezone.localdate(now, tz)
    overdue = overdue_condition(now=now, today=today)
    rotting = rotting_condition(now=now)
    no_next = Q(~Exists(Activity.objects.filter(deal=OuterRef("pk"), done=False)))
    # Only deals and leads the recipient may see at send time, whoever the activities are
    # assigned to.
    visible = Deal.objects.visible_to(recipient)
    open_deals = visible.open()
    activities = Activity.objects.filter(
        Q(deal__in=visible.values("pk")) | Q(lead__in=leads_visible_to(recipient).values("pk"))
    )

    own = DigestPerson(person=recipient)
    own.overdue = list(
        activities.filter(overdue, assignee=recipient)
        .select_related("deal", "lead")
        .order_by(*DUE_ORDER)[: DIGEST_ITEM_LIMIT + 1]
    )
    own.rotting = list(
        open_deals.filter(rotting, owner=recipient)
        .select_related("stage")
        .order_by("stage_entered_at", "id")[: DIGEST_ITEM_LIMIT + 1]
    )
    own.idle = list(
        open_deals.filter(no_next, owner=recipient).order_by("stage_entered_at", "id")[
            : DIGEST_ITEM_LIMIT + 1
        ]
    )
    own.overdue_count, own.rotting_count, own.idle_count = (
        len(own.overdue),
        len(own.rotting),
        len(own.idle),
    )
    if len(own.overdue) > DIGEST_ITEM_LIMIT:
        own.overdue_count = activities.filter(overdue, assignee=recipient).count()
        own.overdue = own.overdue[:DIGEST_ITEM_LIMIT]
    if len(own.rotting) > DIGEST_ITEM_LIMIT:
        own.rotting_count = open_deals.filter(rotting, owner=recipient).count()
        own.rotting = own.rotting[:DIGEST_ITEM_LIMIT]
    if len(own.idle) > DIGEST_ITEM_LIMIT:
        own.idle_count = open_deals.filter(no_next, owner=recipient).count()
        own.idle = own.idle[:DIGEST_ITEM_LIMIT]

    team: list[DigestPerson] = []
    if recipient.is_manager or recipient.is_admin:
        people = list(
            people_visible_to(recipient)
            .exclude(pk=recipient.pk)
            .order_by("first_name", "last_name", "username")
        )
        ids = [person.pk for person in people]
        overdue_by = dict(
            activities.filter(overdue, assignee__in=ids)
            .values_list("assignee")
            .annotate(n=Count("pk"))
            .order_by()
        )
        deals_by = {
            row["owner"]: row
            for row in open_deals.filter(owner__in=ids)
            .values("owner")
            .annotate(
                rotting=Count("pk", filter=rotting),
                idle=Count("pk", filter=no_next),
            )
            .order_by()
        }
        for person in people:
            counts = deals_by.get(person.pk)
            team.append(
                DigestPerson(
                    person=person,
                    overdue_count=overdue_by.get(person.pk, 0),
                    rotting_count=counts["rotting"] if counts else 0,
                    idle_count=counts["idle"] if counts else 0,
                )
            )
    return DigestContent(recipient=recipient, day=today, own=own, team=team)

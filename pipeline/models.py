from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from contacts.models import Contact, Organization
from teams.access import owned_or_managed


class Pipeline(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """An open board column of a pipeline. Won and lost are deal statuses, not stages."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    order = models.PositiveIntegerField(default=0)
    win_probability = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="Chance, in percent, that a deal in this stage is won.",
    )
    rotting_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days a deal may stay idle in this stage before it counts as rotting. "
        "Empty: never.",
    )

    class Meta:
        ordering = ["pipeline_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "name"], name="stage_name_unique_in_pipeline"
            ),
            models.CheckConstraint(
                condition=Q(win_probability__lte=100), name="stage_win_probability_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline}: {self.name}"


class Product(models.Model):
    name = models.CharField(max_length=100, unique=True)
    series = models.CharField(max_length=100, blank=True)
    list_price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LostReason(models.Model):
    """Why deals are lost: the list the mark-lost form offers, kept by admins. A lost deal
    without one was lost for another reason, said in its own words."""

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(
        default=True, help_text="Offered when a deal is marked lost; past deals keep it."
    )
    order = models.PositiveIntegerField(default=0, help_text="Lower comes first in the list.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class DealStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class DealQuerySet(models.QuerySet["Deal"]):
    def visible_to(self, user) -> "DealQuerySet":
        """The deals `user` may see: own deals; a manager adds their teams'; an admin all."""
        return owned_or_managed(self, user)

    def open(self) -> "DealQuerySet":
        return self.filter(status=DealStatus.OPEN)


class Deal(models.Model):
    title = models.CharField(max_length=200)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    value = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals"
    )
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    territory = models.ForeignKey(
        "teams.Territory", null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    status = models.CharField(max_length=10, choices=DealStatus.choices, default=DealStatus.OPEN)
    # A lost deal's reason: one of the list, or none ("Other") with the text saying why;
    # the text may also add details to a listed reason.
    lost_reason = models.ForeignKey(
        LostReason, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    lost_reason_text = models.CharField("lost reason (details)", max_length=200, blank=True)
    expected_close_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    stage_entered_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Order of the card within its board column; gaps leave room for moves between cards.
    position = models.BigIntegerField(default=0)
    # Optimistic locking: every write through pipeline.services (and admin) bumps it; boards
    # also use it to notice that a card changed.
    version = models.PositiveIntegerField(default=1)
    # Identifier in the system a deal was imported from (e.g. the Maven opportunity_id).
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Values of the custom fields admins define (customfields.values says how each type is
    # stored). On PostgreSQL a GIN index (jsonb_path_ops, created by migration 0010) answers
    # the list filters; it is not in Meta.indexes because SQLite cannot build it.
    custom = models.JSONField(default=dict, blank=True, editable=False)

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="deal_value_not_negative"),
            models.CheckConstraint(
                condition=Q(status=DealStatus.OPEN, closed_at__isnull=True)
                | Q(status__in=[DealStatus.WON, DealStatus.LOST], closed_at__isnull=False),
                name="deal_closed_at_matches_status",
            ),
        ]
        indexes = [
            # Board columns: open deals of a stage in card order.
            models.Index(
                fields=["stage", "status", "position", "id"], name="deal_board_column_idx"
            ),
            models.Index(fields=["status", "closed_at"], name="deal_status_closed_idx"),
            models.Index(fields=["owner", "status"], name="deal_owner_status_idx"),
            models.Index(fields=["team", "status"], name="deal_team_status_idx"),
            models.Index(fields=["territory", "status"], name="deal_territory_status_idx"),
            # Column totals of the board read only this index (PostgreSQL: index-only scan).
            models.Index(
                fields=["pipeline", "status", "stage"],
                include=["value", "version", "id"],
                name="deal_board_totals_idx",
            ),
            # Reports read open deals, and deals closed in a period, from these alone
            # (PostgreSQL: index-only scans, without visiting the table).
            models.Index(
                fields=["team", "owner"],
                include=[
                    "territory",
                    "pipeline",
                    "stage",
                    "currency",
                    "value",
                    "expected_close_date",
                    "created_at",
                    "id",
                ],
                condition=Q(status="open"),
                name="deal_report_open_idx",
            ),
            models.Index(
                fields=["closed_at"],
                include=[
                    "status",
                    "owner",
                    "team",
                    "territory",
                    "pipeline",
                    "stage",
                    "currency",
                    "value",
                    "created_at",
                    "id",
                ],
                condition=Q(status__in=["won", "lost"]),
                name="deal_report_closed_idx",
            ),
            # One team's deals closed in a period, without reading the rest of the team's.
            models.Index(
                fields=["team", "closed_at"],
                condition=Q(status__in=["won", "lost"]),
                name="deal_report_team_closed_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status != DealStatus.OPEN

    @property
    def lost_reason_label(self) -> str:
        """The lost reason as people read it: "Price: went with X", or "Other: ..."."""
        return lost_reason_label(self.lost_reason, self.lost_reason_text)

    def days_in_stage(self, now=None) -> int:
        return ((now or timezone.now()) - self.stage_entered_at).days

    def is_rotting(self, now=None) -> bool:
        limit = self.stage.rotting_days
        return not self.is_closed and limit is not None and self.days_in_stage(now) > limit


OTHER_LOST_REASON = "Other"


def lost_reason_label(reason: LostReason | None, text: str) -> str:
    """A lost reason and its details as one line (no reason: "Other")."""
    name = reason.name if reason is not None else OTHER_LOST_REASON
    return f"{name}: {text}" if text else name


def stage_entry(prefix: str = "") -> Q:
    """The history rows where a deal entered a stage: its first row, or a move between open
    stages (reopening keeps the stage and is not an entry). `prefix` reaches the rows
    through a relation, e.g. "stage_changes__" from deals."""
    return Q(**{f"{prefix}to_status": DealStatus.OPEN}) & (
        Q(**{f"{prefix}from_stage__isnull": True}) | Q(**{f"{prefix}from_status": DealStatus.OPEN})
    )


class DealStageChange(models.Model):
    """One row per change of a deal's stage or status: who, when, from where to where.

    The first row of a deal has no from-stage: it records where the deal entered the pipeline.
    """

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="entries")
    from_status = models.CharField(max_length=10, choices=DealStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=DealStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    # Two facts about a row where the deal entered a stage, kept by pipeline.services.deal_move
    # so that the sales funnel counts without replaying every deal's history: when the deal
    # had last entered this same stage before (empty: never), and when it next entered a
    # stage further down the pipeline (empty: not yet).
    entered_before_at = models.DateTimeField(null=True, blank=True, editable=False)
    moved_on_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["deal", "changed_at"], name="stagechange_deal_idx"),
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_stage_idx"),
            models.Index(fields=["changed_at"], name="stagechange_when_idx"),
            # Reports read the changes of a team's deals from this index alone (PostgreSQL).
            models.Index(
                fields=["deal", "changed_at"],
                include=["from_stage", "to_stage", "from_status", "to_status"],
                name="stagechange_report_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.deal_id}: {self.from_stage_id}/{self.from_status}"
            f" -> {self.to_stage_id}/{self.to_status}"
        )


class DealFieldChange(models.Model):
    """One changed detail of a deal: which field, from what to what (as text people read, as
    it was then), who and when. Written by `pipeline.services.deal_update` for every field it
    changes, and by `deal_mark_lost` for the lost reason, in the same transaction."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="field_changes")
    field = models.CharField(max_length=50)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["deal", "changed_at", "id"], name="fieldchange_deal_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.field} {self.old_value!r} -> {self.new_value!r}"

    @property
    def label(self) -> str:
        return field_label(self.field)


def field_label(name: str) -> str:
    """The name people know a deal's field by ("Expected close date")."""
    try:
        field = Deal._meta.get_field(name)
    except FieldDoesNotExist:
        # A custom field's change is recorded under its label, kept as it is.
        return name[:1].upper() + name[1:].replace("_", " ")
    return str(getattr(field, "verbose_name", name)).capitalize()

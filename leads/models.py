"""Leads: prospects a rep generates, scores and qualifies before they become deals."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from contacts.models import Contact, Organization
from teams.access import owned_or_managed

# Score weights an admin may give a source; with the other rules' maxima (leads.scoring) a
# total stays readable on a 0-100 scale.
SOURCE_WEIGHT_MIN, SOURCE_WEIGHT_MAX = -30, 30


class LeadSource(models.Model):
    """Where leads come from (website, referral, event...), and how much that says about them.

    A model rather than choices in code: admins add sources and tune their weights without a
    deploy, and a weight change rescores the open leads of that source at once.
    """

    name = models.CharField(max_length=100, unique=True)
    weight = models.SmallIntegerField(
        "score weight",
        default=0,
        validators=[MinValueValidator(SOURCE_WEIGHT_MIN), MaxValueValidator(SOURCE_WEIGHT_MAX)],
        help_text=f"Points a lead from this source scores, from {SOURCE_WEIGHT_MIN} to "
        f"{SOURCE_WEIGHT_MAX}. Changing it rescores this source's open leads.",
    )
    is_active = models.BooleanField(
        "offered",
        default=True,
        help_text="Offered for new leads. A retired source stays on the leads that have it.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=SOURCE_WEIGHT_MIN, weight__lte=SOURCE_WEIGHT_MAX),
                name="leadsource_weight_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LabelColour(models.TextChoices):
    """Bootstrap's theme colours: a label is drawn as `text-bg-<colour>`."""

    PRIMARY = "primary", "Blue (primary)"
    SECONDARY = "secondary", "Grey (secondary)"
    SUCCESS = "success", "Green (success)"
    DANGER = "danger", "Red (danger)"
    WARNING = "warning", "Yellow (warning)"
    INFO = "info", "Cyan (info)"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class LeadLabel(models.Model):
    name = models.CharField(max_length=50, unique=True)
    colour = models.CharField(
        max_length=10, choices=LabelColour.choices, default=LabelColour.SECONDARY
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LeadStatus(models.TextChoices):
    OPEN = "open", "Open"
    QUALIFIED = "qualified", "Qualified"
    DISQUALIFIED = "disqualified", "Disqualified"


class LeadQuerySet(models.QuerySet["Lead"]):
    def visible_to(self, user) -> "LeadQuerySet":
        """The leads `user` may see: own leads; a manager adds their teams'; an admin all."""
        return owned_or_managed(self, user)


class Lead(models.Model):
    title = models.CharField(max_length=200)
    source = models.ForeignKey(LeadSource, on_delete=models.PROTECT, related_name="leads")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    value = models.DecimalField(
        "value estimate",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leads"
    )
    # Follow the owner (leads.services), as a deal's do: visibility and reports read them.
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    territory = models.ForeignKey(
        "teams.Territory", null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    labels = models.ManyToManyField(LeadLabel, blank=True, related_name="leads")
    # Written only by leads.services from leads.scoring: the total the inbox sorts by, and
    # the points of each rule behind it ("why this score"), always computed together.
    score = models.IntegerField(default=0, editable=False)
    score_details = models.JSONField(default=list, blank=True, editable=False)
    scored_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    disqualify_reason = models.CharField(max_length=200, blank=True)
    deal = models.OneToOneField(
        "pipeline.Deal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead",
        help_text="The deal this lead became when it was qualified.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: every write through leads.services bumps it.
    version = models.PositiveIntegerField(default=1)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0), name="lead_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status=LeadStatus.OPEN, decided_at__isnull=True, deal__isnull=True)
                | Q(status=LeadStatus.QUALIFIED, decided_at__isnull=False)
                | (
                    Q(status=LeadStatus.DISQUALIFIED, decided_at__isnull=False, deal__isnull=True)
                    & ~Q(disqualify_reason="")
                ),
                name="lead_decision_matches_status",
            ),
        ]
        indexes = [
            # The inbox: by status, best score first, then newest (and its keyset pages).
            models.Index(fields=["status", "-score", "-created_at", "-id"], name="lead_inbox_idx"),
            # A rep's inbox, and a manager's narrowed to one owner or to their teams.
            models.Index(
                fields=["owner", "status", "-score", "-created_at"], name="lead_owner_inbox_idx"
            ),
            models.Index(
                fields=["team", "status", "-score", "-created_at"], name="lead_team_inbox_idx"
            ),
            models.Index(fields=["source", "status"], name="lead_source_status_idx"),
            # The dashboard: leads created in a period, and leads decided in a period.
            models.Index(fields=["created_at"], name="lead_created_idx"),
            models.Index(
                fields=["decided_at"],
                include=["status", "owner", "team", "territory"],
                condition=Q(status__in=["qualified", "disqualified"]),
                name="lead_decided_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == LeadStatus.OPEN

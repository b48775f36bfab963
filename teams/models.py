import zoneinfo
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Role(models.TextChoices):
    REP = "rep", "Sales rep"
    MANAGER = "manager", "Sales manager"
    ADMIN = "admin", "Admin"


class ReminderOffset(models.IntegerChoices):
    """How long before an activity is due its reminder goes out, in minutes."""

    __empty__ = "No reminder"
    AT_TIME = 0, "At the due time"
    MINUTES_15 = 15, "15 minutes before"
    HOUR_1 = 60, "1 hour before"
    DAY_1 = 1440, "1 day before"


class Territory(models.Model):
    """A sales region; territories nest, and a parent's figures include its children."""

    name = models.CharField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "territories"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": "A territory cannot be inside itself."})
            ancestor = ancestor.parent


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="teams")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    time_zone = models.CharField(
        max_length=64,
        choices=time_zone_choices,
        default=settings.TIME_ZONE,
        help_text="Due times and report days are shown in this time zone.",
    )
    default_reminder_offset = models.PositiveIntegerField(
        "default reminder",
        null=True,
        blank=True,
        default=ReminderOffset.MINUTES_15,
        choices=ReminderOffset.choices,
        help_text="Preselected when you schedule an activity. "
        "All-day activities count from 09:00 on their day.",
    )
    receives_digest = models.BooleanField(
        "morning digest",
        default=True,
        help_text="E-mail me my overdue activities, rotting deals and deals with no next "
        "step at 08:00 in my time zone.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def zoneinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


def quarter_bounds(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    return start, month_bounds(date(day.year, first_month + 2, 1))[1]


def month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, date.fromordinal(next_month.toordinal() - 1)


class Quota(models.Model):
    """A target of won revenue for a team, or for one rep of that team, over a month or quarter.

    A row without a rep is the team's own target; rows with a rep are the reps' shares.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="quotas")
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quotas",
        help_text="Leave empty for the team's own quota.",
    )
    period = models.CharField(max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField(editable=False, help_text="Set from the period and its start.")
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["-period_start", "team_id", "rep_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rep", "period", "period_start"],
                condition=Q(rep__isnull=False),
                name="quota_one_per_rep_and_period",
                violation_error_message="This rep already has a quota for this period.",
            ),
            models.UniqueConstraint(
                fields=["team", "period", "period_start"],
                condition=Q(rep__isnull=True),
                name="quota_one_per_team_and_period",
                violation_error_message="This team already has a team quota for this period.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="quota_period_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="quota_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["period_start", "period_end"], name="quota_period_idx")]

    def __str__(self) -> str:
        owner = self.rep or self.team
        return f"{owner}: {self.period_start:%Y-%m-%d}..{self.period_end:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        self.align_period()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.rep is not None and self.team_id and self.rep.team_id != self.team_id:
            raise ValidationError({"rep": f"{self.rep} is not a member of {self.team}."})
        self.align_period()

    @property
    def owner_name(self) -> str:
        return str(self.rep) if self.rep_id else f"{self.team} (team)"

    def align_period(self) -> None:
        """Snap the start to the first day of its month or quarter and derive the end."""
        if self.period_start is None or self.period not in PeriodKind.values:
            return
        bounds = quarter_bounds if self.period == PeriodKind.QUARTER else month_bounds
        self.period_start, self.period_end = bounds(self.period_start)

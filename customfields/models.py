"""Fields admins add to deals, organizations and contacts without a code change.

A `FieldDefinition` says what a field is; the values live in the `custom` JSON column of
each deal, organization and contact, keyed by the definition's `key` (see
`customfields.values` for how each type is stored). Archiving a definition hides the field
everywhere but leaves the values in the rows, so restoring it brings them back.
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Lower-case words joined by single underscores: safe in a URL parameter (`cf_<key>`), a
# CSV header and a JSON path, and never `__`, which Django would read as a lookup.
KEY_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
MAX_CHOICES = 100
MAX_CHOICE_LENGTH = 100


class ObjectKind(models.TextChoices):
    DEAL = "deal", "Deal"
    ORGANIZATION = "organization", "Organization"
    CONTACT = "contact", "Contact"


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    MONEY = "money", "Money"
    DATE = "date", "Date"
    CHOICE = "choice", "Single choice"
    MULTI_CHOICE = "multi_choice", "Multiple choice"
    USER = "user", "User"


CHOICE_TYPES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)


class FieldDefinitionQuerySet(models.QuerySet["FieldDefinition"]):
    def active(self) -> "FieldDefinitionQuerySet":
        return self.filter(archived_at__isnull=True)

    def of_kind(self, kind: str) -> "FieldDefinitionQuerySet":
        return self.filter(kind=kind).order_by("order", "id")


class FieldDefinition(models.Model):
    kind = models.CharField("object", max_length=20, choices=ObjectKind.choices)
    key = models.CharField(
        max_length=40,
        validators=[
            RegexValidator(
                KEY_PATTERN,
                "Lower-case letters, digits and single underscores, starting with a letter "
                "(e.g. “renewal_date”).",
            )
        ],
        help_text="Name of the field in CSV files, filters (cf_KEY) and the API. "
        "Cannot be changed once the field exists.",
    )
    label = models.CharField(max_length=100, help_text="What people see on forms and pages.")
    type = models.CharField(
        max_length=20,
        choices=FieldType.choices,
        help_text="Cannot be changed once the field exists (the stored values follow it).",
    )
    required = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0, help_text="Lower comes first.")
    choices = models.TextField(
        blank=True,
        help_text="For single and multiple choice: one choice per line, in the order offered.",
    )
    help_text = models.CharField(max_length=200, blank=True)
    show_on_card = models.BooleanField(
        "show on board card", default=False, help_text="Deals only: shown on the board's cards."
    )
    # Archived (what "delete" does in admin): hidden everywhere, values kept in the rows.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = FieldDefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="fielddefinition_key_per_kind"),
            models.CheckConstraint(
                condition=Q(show_on_card=False) | Q(kind=ObjectKind.DEAL),
                name="fielddefinition_card_only_for_deals",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def choice_list(self) -> list[str]:
        """The offered choices, in order, without blank lines or repeats."""
        seen: dict[str, None] = {}
        for line in self.choices.splitlines():
            if line.strip():
                seen.setdefault(line.strip(), None)
        return list(seen)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        choices = self.choice_list
        if self.type in CHOICE_TYPES:
            if not choices:
                errors["choices"] = "List at least one choice, one per line."
            elif len(choices) > MAX_CHOICES:
                errors["choices"] = f"At most {MAX_CHOICES} choices."
            elif any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
                errors["choices"] = f"A choice may have at most {MAX_CHOICE_LENGTH} characters."
        elif choices:
            errors["choices"] = "Only single and multiple choice fields have choices."
        if self.show_on_card and self.kind != ObjectKind.DEAL:
            errors["show_on_card"] = "Only deals have board cards."
        if errors:
            raise ValidationError(errors)

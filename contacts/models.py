"""People and companies: the customers deals are made with."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from contacts.keys import DerivedKeyField, email_key, fold, organization_name_key


def organization_key_of(organization: "Organization") -> str:
    return organization_name_key(organization.name)


def contact_email_key_of(contact: "Contact") -> str:
    return email_key(contact.email)


def contact_full_name_key_of(contact: "Contact") -> str:
    return fold(f"{contact.first_name} {contact.last_name}")


def contact_sort_name_key_of(contact: "Contact") -> str:
    return fold(f"{contact.last_name} {contact.first_name}")


class Organization(models.Model):
    """A customer account."""

    # Not unique: two companies may share a name. Likely duplicates are found by `name_key`
    # and the user decides (see contacts.queries.organization_duplicates).
    name = models.CharField(max_length=200, db_index=True)
    sector = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    year_established = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1000), MaxValueValidator(9999)]
    )
    annual_revenue = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="In millions of the default currency.",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
        verbose_name="subsidiary of",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_organizations",
        help_text="Who looks after this account. Without an owner only admins and people "
        "with deals at the organization see it.",
    )
    # The name folded for the duplicate check, search and sorting (contacts.keys).
    name_key = DerivedKeyField(derive=organization_key_of)
    # Custom field values (see customfields.values); GIN-indexed on PostgreSQL (migration).
    custom = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_key", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="organization_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at an organization."""

    # Indexed by contact_org_name_idx, which starts with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    job_title = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
        help_text="Who looks after this person. Without an owner only admins and people "
        "with deals with the contact see them.",
    )
    # Folded copies for the duplicate check (e-mail), search (all three) and sorting by name.
    email_key = DerivedKeyField(derive=contact_email_key_of)
    full_name_key = DerivedKeyField(derive=contact_full_name_key_of)
    sort_name_key = DerivedKeyField(derive=contact_sort_name_key_of)
    # Custom field values (see customfields.values); GIN-indexed on PostgreSQL (migration).
    custom = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_name_key", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="contact_updated_idx"),
            models.Index(fields=["organization", "sort_name_key"], name="contact_org_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class MergeKind(models.TextChoices):
    ORGANIZATION = "organization", "Organization"
    CONTACT = "contact", "Contact"


class MergeRecord(models.Model):
    """One merge of two organizations or two contacts: who, when, what went where.

    The removed record no longer exists; `removed_data` keeps its fields as they were, and
    `moved` how many rows of each kind (by model label and field) now point at the kept one.
    A record's timeline reads these rows.
    """

    kind = models.CharField(max_length=20, choices=MergeKind.choices)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="merges"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="merges"
    )
    removed_id = models.BigIntegerField()
    removed_label = models.CharField(max_length=255)
    removed_data = models.JSONField(default=dict)
    filled_fields = models.JSONField(default=list)
    moved = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=MergeKind.ORGANIZATION, organization__isnull=False)
                | Q(kind=MergeKind.CONTACT, contact__isnull=False),
                name="merge_record_points_at_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.removed_label} merged into {self.organization or self.contact}"

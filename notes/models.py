"""Notes and files about a deal, an organization or a contact (their "subject").

Each row belongs to exactly one subject: three nullable foreign keys, one of which is set
(a named check constraint says so). Access always goes through the subject's own access
function (notes.subjects), so a note is visible exactly when its subject is.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from notes.files import extension_for

# The subjects a note or file can belong to: the foreign key's name on the models below.
SUBJECT_FIELDS = ("deal", "organization", "contact")


def exactly_one_subject() -> Q:
    """One of the subject keys is set, the others are empty."""
    condition = Q()
    for name in SUBJECT_FIELDS:
        condition |= Q(
            **{f"{other}__isnull": other != name for other in SUBJECT_FIELDS},
        )
    return condition


def subject_indexes(prefix: str) -> list[models.Index]:
    """A subject's notes or files newest first, for each kind of subject."""
    return [
        models.Index(
            fields=[name, "created_at", "id"],
            condition=Q(**{f"{name}__isnull": False}),
            name=f"{prefix}_{name}_idx",
        )
        for name in SUBJECT_FIELDS
    ]


class SubjectOwned(models.Model):
    """The subject keys of a note or file. Deleting the subject deletes them."""

    deal = models.ForeignKey(
        "pipeline.Deal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_index=False,
        related_name="+",
    )
    organization = models.ForeignKey(
        "contacts.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_index=False,
        related_name="+",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_index=False,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @property
    def subject_field(self) -> str:
        return next(name for name in SUBJECT_FIELDS if getattr(self, f"{name}_id") is not None)

    @property
    def subject_id(self) -> int:
        return getattr(self, f"{self.subject_field}_id")


class Note(SubjectOwned):
    """Plain text, shown as sanitised Markdown (notes.markdown)."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=exactly_one_subject(), name="note_one_subject"),
            models.CheckConstraint(condition=~Q(body=""), name="note_body_not_empty"),
        ]
        indexes = subject_indexes("note")

    def __str__(self) -> str:
        return self.body[:60]


def attachment_storage_name(instance: "Attachment", filename: str) -> str:
    """A random name in the storage, with the extension of the type the content was found
    to be: never the user's file name, which lives in `original_name` only."""
    extension = instance.content_type_extension
    day = timezone.now()
    return f"attachments/{day:%Y/%m}/{secrets.token_urlsafe(24)}{extension}"


class Attachment(SubjectOwned):
    """A file attached to a subject, kept in the default storage (settings.STORAGES)."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to=attachment_storage_name, max_length=255)
    # The name the user gave the file, cleaned (notes.files.clean_file_name): shown, and
    # offered as the download's name.
    original_name = models.CharField(max_length=255)
    # Found from the file's first bytes (notes.files.sniff), never the browser's word.
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=exactly_one_subject(), name="attachment_one_subject"),
        ]
        indexes = subject_indexes("attachment")

    def __str__(self) -> str:
        return self.original_name

    @property
    def content_type_extension(self) -> str:
        return extension_for(self.content_type)

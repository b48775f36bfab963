"""Imports of organizations and contacts from CSV files, and the rows they could not import.

An `ImportJob` is the database's record of one file: it is the queue entry the Celery task
claims (a conditional update and a lease, imports.services), the progress the page polls,
and the summary afterwards. Its counts and `processed_rows` are committed with each chunk
of rows, so they always say exactly what is in the CRM.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class ImportKind(models.TextChoices):
    ORGANIZATIONS = "organizations", "Organizations"
    CONTACTS = "contacts", "Contacts"


class ImportSource(models.TextChoices):
    PAGE = "page", "the import page"
    COMMAND = "command", "manage.py import_crm_csv"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (ImportStatus.QUEUED, ImportStatus.RUNNING)


def import_storage_name(instance: "ImportJob", filename: str) -> str:
    """A random name in the storage: the user's file name lives in `original_name` only."""
    return f"imports/{timezone.now():%Y/%m}/{secrets.token_urlsafe(24)}.csv"


class ImportJob(models.Model):
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    file = models.FileField(upload_to=import_storage_name, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    source = models.CharField(
        max_length=10, choices=ImportSource.choices, default=ImportSource.PAGE
    )
    # Null for `manage.py import_crm_csv` without --as, and for a user deleted since.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # Headers of the file that are no column of the format: reported once, ignored.
    unknown_columns = models.JSONField(default=list, blank=True)
    # Why a failed job stopped.
    error = models.TextField(blank=True)
    # The claim: who holds the job (a fresh token per claim) and when they last showed life.
    lease_token = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=F("total_rows")),
                name="import_job_processed_within_total",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_job_status_valid"
            ),
        ]
        indexes = [
            # The dispatcher's look for queued jobs and stale leases.
            models.Index(
                fields=["status", "heartbeat_at"],
                condition=Q(status__in=["queued", "running"]),
                name="import_job_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.original_name}"

    @property
    def uploader_label(self) -> str:
        """Who started the import, as the pages say it (read with `uploaded_by` loaded)."""
        who = str(self.uploaded_by) if self.uploaded_by_id else ""
        if self.source == ImportSource.COMMAND:
            return f"manage.py as {who}" if who else "manage.py"
        return who or "a deleted user"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration(self) -> timedelta | None:
        """How long it ran, from the first claim to the end (None until it ends)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def percent(self) -> int:
        """How much of the file is done, in whole percent (100 only when all of it is)."""
        if self.status == ImportStatus.DONE or not self.total_rows:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(99, self.processed_rows * 100 // self.total_rows)


class ImportRowError(models.Model):
    """One problem of one rejected row: a row with several problems has several of these."""

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="row_errors", db_index=False
    )
    line = models.PositiveIntegerField()
    # The header as the file writes it; empty when the problem is the row as a whole.
    column = models.CharField(max_length=200, blank=True)
    value = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "line", "id"], name="import_error_job_line_idx")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"

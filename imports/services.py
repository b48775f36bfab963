"""Every write to import jobs: creating one from a file, working through it, resuming it.

How a file is imported once, whatever happens to the worker
-----------------------------------------------------------
1. `import_job_create` checks the whole file (encoding, CSV structure, header) before
   anything is stored, so a file that cannot be imported is refused on the form. It stores
   the file (default storage), writes the job "queued" and sends its id to the
   `process_import` task when that commits.
2. `import_job_process` claims the job with a conditional update (queued, or running with a
   lease nobody renewed for IMPORT_LEASE_SECONDS) that sets a fresh lease token. It reads
   the file again and works through the rows from `processed_rows` on, IMPORT_CHUNK_ROWS at
   a time. Each chunk is one transaction: the job row is locked (and the token checked),
   the rows are written through the contacts services, their errors recorded, and the
   counts, `processed_rows` and the heartbeat updated. A crash loses only the chunk it was
   in; what committed is in the CRM and in the counts.
3. After IMPORT_TASK_SECONDS the task queues the job again for a new task and returns, so
   no task nears Celery's time limits. An exception fails the job with its error (the page
   offers to resume it); a worker that dies leaves its lease to run out, and beat's
   `imports_dispatch` sends the job to a worker again.
Resuming starts at the first row not committed. Rows match records on natural keys
(imports.records), so even importing the same file twice changes nothing the second time.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from imports.csvfile import FileRefused, check_size, read_table
from imports.models import ImportJob, ImportKind, ImportRowError, ImportSource, ImportStatus
from imports.records import Outcome, PreparedFile, importer_for, prepare
from notes.files import clean_file_name

log = logging.getLogger(__name__)

ERROR_TEXT_LIMIT = 2000


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead): stop, write nothing."""


def read_upload(kind: str, data: bytes) -> PreparedFile:
    """The file read for import, or FileRefused saying why it cannot be."""
    if kind not in ImportKind.values:
        raise FileRefused(f"Unknown kind of import: {kind!r}.")
    prepared = prepare(kind, read_table(data, max_bytes=settings.IMPORT_MAX_BYTES))
    if not prepared.rows:
        raise FileRefused("The file has a header but no rows below it: nothing to import.")
    return prepared


def import_job_create(
    *, kind: str, file, actor, source: str = ImportSource.PAGE, queue: bool = True
) -> ImportJob:
    """Check an uploaded CSV file, store it and queue its import (FileRefused otherwise).

    `file` is an uploaded or Django `File`; `actor` (an admin, or None from the command)
    owns the records whose rows name no owner. With `queue=False` the caller runs
    `import_job_process` itself (the management command).
    """
    # A file too large is refused before it is read into memory. The whole file is read and
    # checked before the transaction, which on SQLite holds the database's write lock.
    check_size(file.size, max_bytes=settings.IMPORT_MAX_BYTES)
    file.seek(0)
    data = file.read()
    prepared = read_upload(kind, data)
    job = ImportJob(
        kind=kind,
        source=source,
        original_name=clean_file_name(getattr(file, "name", "") or "import.csv"),
        size=len(data),
        uploaded_by=actor,
        total_rows=len(prepared.rows),
        unknown_columns=prepared.unknown_columns,
    )
    job.file.save(job.original_name, ContentFile(data), save=False)
    stored = str(job.file.name)
    # The file is written before the row: if the row is not saved after all, remove it.
    try:
        with transaction.atomic():
            job.save()
            if queue:
                from imports.tasks import process_import

                process_import.delay_on_commit(job.pk)
    except Exception:
        job.file.storage.delete(stored)
        raise
    return job


def import_job_claim(*, job_id: int, now: datetime | None = None) -> str | None:
    """Take the job for this worker: a fresh lease token, or None when it is not ours to
    take (done, failed, or running under a lease someone renewed recently)."""
    now = now or timezone.now()
    token = secrets.token_hex(16)
    stale = now - timedelta(seconds=settings.IMPORT_LEASE_SECONDS)
    claimed = ImportJob.objects.filter(
        Q(status=ImportStatus.QUEUED) | Q(status=ImportStatus.RUNNING, heartbeat_at__lt=stale),
        pk=job_id,
    ).update(
        status=ImportStatus.RUNNING,
        lease_token=token,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    ImportJob.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    return token


@dataclass
class ChunkCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


def import_job_process(*, job_id: int, time_budget: float | None = None) -> str:
    """Claim the job and import its rows, chunk by chunk, until it is done, the time budget
    is spent (then it is queued again) or something fails (then it is failed). Returns the
    job's status afterwards, or "" when it was not ours to work on."""
    token = import_job_claim(job_id=job_id)
    if token is None:
        return ""
    started = time.monotonic()
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    line = None
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        prepared = read_upload(job.kind, data)
        if len(prepared.rows) != job.total_rows:
            raise FileRefused("The stored file no longer has the rows it had when uploaded.")
        importer = importer_for(job.kind)
        chunk_rows = max(1, settings.IMPORT_CHUNK_ROWS)
        position = job.processed_rows
        while position < job.total_rows:
            chunk = prepared.rows[position : position + chunk_rows]
            line = chunk[0].line
            with transaction.atomic():
                _lock(job.pk, token)
                results = importer.apply(chunk, actor=job.uploaded_by, prepared=prepared)
                _record_chunk(job.pk, token, results)
            position += len(chunk)
            line = None
            out_of_time = time_budget is not None and time.monotonic() - started > time_budget
            if out_of_time and position < job.total_rows:
                _requeue(job.pk, token)
                return ImportStatus.QUEUED
        ImportJob.objects.filter(pk=job.pk, lease_token=token).update(
            status=ImportStatus.DONE, finished_at=timezone.now(), lease_token=""
        )
        return ImportStatus.DONE
    except LeaseLost:
        log.warning("Import %s: another worker took it over; this one stops", job_id)
        return ""
    except Exception as error:
        log.exception("Import %s failed", job_id)
        where = f"Stopped in the chunk starting at line {line}: " if line else ""
        message = f"{where}{error.__class__.__name__}: {error}"[:ERROR_TEXT_LIMIT]
        if isinstance(error, FileRefused):
            message = str(error)[:ERROR_TEXT_LIMIT]
        ImportJob.objects.filter(pk=job.pk, lease_token=token).update(
            status=ImportStatus.FAILED,
            error=message,
            finished_at=timezone.now(),
            lease_token="",
        )
        return ImportStatus.FAILED


def _lock(job_id: int, token: str) -> None:
    """Lock the job row for this chunk; LeaseLost when the token is no longer ours."""
    held = ImportJob.objects.select_for_update().filter(pk=job_id, lease_token=token).exists()
    if not held:
        raise LeaseLost


def _record_chunk(job_id: int, token: str, results) -> None:
    counts = ChunkCounts()
    errors = []
    for result in results:
        setattr(counts, result.outcome.value, getattr(counts, result.outcome.value) + 1)
        if result.outcome == Outcome.REJECTED:
            errors += [
                ImportRowError(
                    job_id=job_id,
                    line=error.line,
                    column=error.column[:200],
                    value=error.value[:200],
                    reason=error.reason[:500],
                )
                for error in result.errors
            ]
    ImportRowError.objects.bulk_create(errors, batch_size=500)
    recorded = ImportJob.objects.filter(pk=job_id, lease_token=token).update(
        processed_rows=F("processed_rows") + len(results),
        created_count=F("created_count") + counts.created,
        updated_count=F("updated_count") + counts.updated,
        unchanged_count=F("unchanged_count") + counts.unchanged,
        rejected_count=F("rejected_count") + counts.rejected,
        heartbeat_at=timezone.now(),
    )
    if not recorded:
        raise LeaseLost  # rolls the chunk back: the job is another worker's now


@transaction.atomic
def _requeue(job_id: int, token: str) -> None:
    from imports.tasks import process_import

    if ImportJob.objects.filter(pk=job_id, lease_token=token).update(
        status=ImportStatus.QUEUED, queued_at=timezone.now(), lease_token=""
    ):
        process_import.delay_on_commit(job_id)


@transaction.atomic
def import_job_resume(*, job: ImportJob, actor) -> bool:
    """Queue a failed job again; it goes on from its first row not imported. False when it
    was not failed (someone resumed it already)."""
    from imports.tasks import process_import

    resumed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.FAILED).update(
        status=ImportStatus.QUEUED, error="", queued_at=timezone.now(), finished_at=None
    )
    if resumed:
        process_import.delay_on_commit(job.pk)
    return bool(resumed)


def imports_dispatch(*, now: datetime | None = None) -> int:
    """Send to a worker every job that waits too long: queued with no worker on it (a lost
    message), or running under a lease nobody renewed (a worker that died). A job sent
    twice is claimed once. Returns how many were sent."""
    from imports.tasks import process_import

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.IMPORT_LEASE_SECONDS)
    waiting = ImportJob.objects.filter(
        Q(status=ImportStatus.QUEUED, queued_at__lt=stale)
        | Q(status=ImportStatus.RUNNING, heartbeat_at__lt=stale)
    ).values_list("pk", flat=True)
    ids = list(waiting)
    with transaction.atomic():
        for job_id in ids:
            process_import.delay_on_commit(job_id)
    return len(ids)

"""Reads for the import pages: the list of imports and a job's error report, both paged by
keyset (never OFFSET), and the report's rows for the CSV download."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q

from crm.http import parse_id, parse_int
from imports.access import import_jobs_visible_to
from imports.models import ImportJob, ImportRowError

JOBS_PER_PAGE = 25
ERRORS_PER_PAGE = 50


class BadCursor(ValueError):
    """A page link that no page of ours wrote."""


@dataclass(frozen=True)
class JobPage:
    jobs: list[ImportJob]
    older: int | None  # the `before` of the next page


def import_jobs_page(user, *, before: int | None = None) -> JobPage:
    """The imports `user` may see, newest first, a page at a time (ids grow with time)."""
    jobs = import_jobs_visible_to(user).order_by("-id")
    if before is not None:
        jobs = jobs.filter(pk__lt=before)
    rows = list(jobs[: JOBS_PER_PAGE + 1])
    older = rows[JOBS_PER_PAGE - 1].pk if len(rows) > JOBS_PER_PAGE else None
    return JobPage(jobs=rows[:JOBS_PER_PAGE], older=older)


@dataclass(frozen=True)
class ErrorCursor:
    """Where a page of the error report starts: after this line and error id."""

    line: int
    id: int

    @classmethod
    def parse(cls, value: str | None) -> "ErrorCursor | None":
        """None for no cursor; BadCursor for one that is not "<line>-<id>"."""
        if not value:
            return None
        line, _, pk = value.partition("-")
        parsed = parse_int(line, minimum=0, maximum=2**31 - 1), parse_id(pk)
        if parsed[0] is None or parsed[1] is None:
            raise BadCursor(value)
        return cls(line=parsed[0], id=parsed[1])

    def __str__(self) -> str:
        return f"{self.line}-{self.id}"


@dataclass(frozen=True)
class ErrorPage:
    errors: list[ImportRowError]
    next: ErrorCursor | None
    first_page: bool


def error_page(job: ImportJob, *, after: ErrorCursor | None = None) -> ErrorPage:
    """One page of the job's error report, by line (one query)."""
    errors = ImportRowError.objects.filter(job=job).order_by("line", "id")
    if after is not None:
        errors = errors.filter(Q(line__gt=after.line) | Q(line=after.line, id__gt=after.id))
    rows = list(errors[: ERRORS_PER_PAGE + 1])
    more = len(rows) > ERRORS_PER_PAGE
    rows = rows[:ERRORS_PER_PAGE]
    cursor = ErrorCursor(line=rows[-1].line, id=rows[-1].pk) if more else None
    return ErrorPage(errors=rows, next=cursor, first_page=after is None)


def error_rows(job: ImportJob) -> Iterator[tuple[int, str, str, str]]:
    """Every error of the job as (line, column, value, reason), by line, streamed."""
    return (
        ImportRowError.objects.filter(job=job)
        .order_by("line", "id")
        .values_list("line", "column", "value", "reason")
        .iterator(chunk_size=2000)
    )

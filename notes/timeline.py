"""The timeline of a subject: what happened to it, newest first, a page at a time.

Every kind of event (a stage change, an activity scheduled or done, a note, a file, a
changed field) is a "branch": a queryset of that kind's rows for the subject, shaped into
the same columns. A page is one UNION ALL of the branches, ordered by (time, kind, id)
newest first and cut at the page size, so the whole timeline costs one query whatever the
number of kinds and rows. On PostgreSQL each branch is also ordered and cut inside the
union, so that the database reads at most a page of each kind. Pages follow each other by
keyset (the last entry's time, kind and id), never by OFFSET.

`pipeline.queries.deal_timeline` puts a deal's branches together; notes and files are
branches of any subject (`notes_and_files`).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    CharField,
    DateTimeField,
    F,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast

from crm.http import parse_int
from notes.markdown import render_markdown
from notes.models import Attachment, Note
from teams.models import User

PAGE_SIZE = 20

# Order among entries of the same instant, newest first: a higher rank comes first. A deal
# marked lost reads "Marked lost", then its reason.
RANKS = {
    "stage": 6,
    "activity": 5,
    "activity_done": 4,
    "note": 3,
    "file": 2,
    "field": 1,
}
# What the timeline can be narrowed to.
SHOW = {
    "all": ("Everything", tuple(RANKS)),
    "notes": ("Notes", ("note",)),
    "files": ("Files", ("file",)),
    "activities": ("Activities", ("activity", "activity_done")),
    "changes": ("Changes", ("stage", "field")),
}

COLUMNS = (
    "t_kind",
    "t_rank",
    "t_at",
    "t_id",
    "t_actor_id",
    "t_actor_first",
    "t_actor_last",
    "t_actor_username",
    "t_a",
    "t_b",
    "t_c",
    "t_d",
    "t_number",
    "t_edited_at",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _column(path: str | None, output_field):
    # An empty column is a typed NULL, so that every database unites it with the others.
    return F(path) if path else Cast(Value(None), output_field)


def branch(
    rows: QuerySet,
    *,
    kind: str,
    at: str,
    actor: str,
    a: str | None = None,
    b: str | None = None,
    c: str | None = None,
    d: str | None = None,
    number: str | None = None,
    edited_at: str | None = None,
) -> QuerySet:
    """`rows` (one kind of event of one subject) as timeline rows: the field paths given
    fill the columns, a missing one is empty."""
    return (
        rows.order_by()
        .annotate(
            t_kind=Value(kind, output_field=CharField()),
            t_rank=Value(RANKS[kind], output_field=IntegerField()),
            t_at=F(at),
            t_id=F("pk"),
            t_actor_id=F(f"{actor}_id"),
            t_actor_first=F(f"{actor}__first_name"),
            t_actor_last=F(f"{actor}__last_name"),
            t_actor_username=F(f"{actor}__username"),
            t_a=_column(a, TextField()),
            t_b=_column(b, TextField()),
            t_c=_column(c, TextField()),
            t_d=_column(d, TextField()),
            t_number=_column(number, BigIntegerField()),
            t_edited_at=_column(edited_at, DateTimeField()),
        )
        .values_list(*COLUMNS)
    )


def notes_and_files(owner_filter: dict[str, Any]) -> dict[str, QuerySet]:
    """The branches of a subject's notes and files ({"deal": deal} says whose)."""
    return {
        "note": branch(
            Note.objects.filter(**owner_filter),
            kind="note",
            at="created_at",
            actor="author",
            a="body",
            edited_at="edited_at",
        ),
        "file": branch(
            Attachment.objects.filter(**owner_filter),
            kind="file",
            at="created_at",
            actor="uploaded_by",
            a="original_name",
            b="content_type",
            number="size",
        ),
    }


def dom_id(kind: str, pk: int) -> str:
    """The HTML id of a timeline entry ("timeline-note-5"): links and htmx target it."""
    return f"timeline-{kind}-{pk}"


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last entry's time, kind rank and id."""

    at: datetime
    rank: int
    id: int

    def __str__(self) -> str:
        return f"{(self.at - _EPOCH) // timedelta(microseconds=1)}.{self.rank}.{self.id}"

    @classmethod
    def parse(cls, value: str | None) -> "Cursor | None":
        """A cursor from a URL; None for anything malformed."""
        parts = (value or "").split(".")
        if len(parts) != 3:
            return None
        micros, rank, pk = (parse_int(part, minimum=0) for part in parts)
        if micros is None or rank is None or pk is None or micros > 2**53:
            return None
        try:
            at = _EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            return None
        return cls(at=at, rank=rank, id=pk)

    def after(self, rank: int) -> Q:
        """The rows of a branch of `rank` that come after this cursor, newest first."""
        if rank < self.rank:
            return Q(t_at__lte=self.at)
        if rank > self.rank:
            return Q(t_at__lt=self.at)
        return Q(t_at__lt=self.at) | Q(t_at=self.at, t_id__lt=self.id)


@dataclass
class Entry:
    """One line of a timeline. The columns a..d mean what the kind says (see the branches)."""

    kind: str
    rank: int
    at: datetime
    id: int
    actor: User | None
    a: str | None
    b: str | None
    c: str | None
    d: str | None
    number: int | None
    edited_at: datetime | None
    # Set for the viewer by whoever draws the entry (notes.queries).
    can_edit: bool = False
    can_delete: bool = False

    @property
    def actor_id(self) -> int | None:
        return self.actor.pk if self.actor else None

    @property
    def dom_id(self) -> str:
        return dom_id(self.kind, self.id)

    @property
    def note_html(self):
        return render_markdown(self.a or "")


@dataclass
class TimelinePage:
    entries: list[Entry] = field(default_factory=list)
    next_cursor: Cursor | None = None
    show: str = "all"
    # Where this page starts (None: with the newest entry).
    before: Cursor | None = None


def timeline_page(
    branches: dict[str, QuerySet],
    *,
    show: str = "all",
    before: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> TimelinePage:
    """The entries of `branches` (kind -> rows) newest first: up to `limit` after `before`,
    narrowed to the kinds of `show`. One query."""
    if show not in SHOW:
        show = "all"
    kinds = SHOW[show][1]
    parts = []
    for kind, rows in branches.items():
        if kind not in kinds:
            continue
        if before is not None:
            rows = rows.filter(before.after(RANKS[kind]))
        parts.append(rows)
    if not parts:
        return TimelinePage(show=show, before=before)
    if len(parts) == 1:
        union = parts[0]
    else:
        if connection.features.supports_slicing_ordering_in_compound:
            parts = [rows.order_by("-t_at", "-t_id")[: limit + 1] for rows in parts]
        union = parts[0].union(*parts[1:], all=True)
    found = list(union.order_by("-t_at", "-t_rank", "-t_id")[: limit + 1])
    entries = [_entry(row) for row in found[:limit]]
    last = entries[-1] if entries else None
    more = len(found) > limit and last is not None
    return TimelinePage(
        entries=entries,
        next_cursor=Cursor(last.at, last.rank, last.id) if more and last else None,
        show=show,
        before=before,
    )


def _entry(row: tuple) -> Entry:
    values = dict(zip(COLUMNS, row, strict=True))
    actor = None
    if values["t_actor_id"] is not None:
        actor = User(
            pk=values["t_actor_id"],
            first_name=values["t_actor_first"] or "",
            last_name=values["t_actor_last"] or "",
            username=values["t_actor_username"] or "",
        )
    return Entry(
        kind=values["t_kind"],
        rank=values["t_rank"],
        at=values["t_at"],
        id=values["t_id"],
        actor=actor,
        a=values["t_a"],
        b=values["t_b"],
        c=values["t_c"],
        d=values["t_d"],
        number=values["t_number"],
        edited_at=values["t_edited_at"],
    )

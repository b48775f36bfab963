"""Reads behind the notes panel: a subject's timeline, with what the viewer may do."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from notes import timeline
from notes.access import can_delete_item, can_edit_note
from notes.files import allowed_types_text
from notes.subjects import Subject
from notes.timeline import SHOW, Cursor, Entry, TimelinePage

ONLY_NOTES_AND_FILES = ("all", "notes", "files")


@dataclass
class HistoryPanel:
    """What the notes-and-files panel of a subject's page shows: the composer (with the form
    a view is handling, if any) and a page of its timeline. `subject` comes from its access
    function (notes.subjects); this checks nothing."""

    subject: Subject
    page: TimelinePage
    note_form: Any = None
    file_form: Any = None

    @property
    def shows(self) -> list[tuple[str, str]]:
        """What the timeline can be narrowed to (a subject with only notes and files: those)."""
        offered = SHOW if self.subject.type.timeline is not None else ONLY_NOTES_AND_FILES
        return [(value, SHOW[value][0]) for value in offered]

    @property
    def upload_help(self) -> str:
        limit = filesizeformat(settings.ATTACHMENT_MAX_BYTES)
        return f"Up to {limit}: {allowed_types_text()}."


def subject_timeline(
    subject: Subject, *, user, show: str = "all", before: Cursor | None = None
) -> TimelinePage:
    """A page of the subject's timeline, each entry marked with what `user` may do to it."""
    if subject.type.timeline is not None:
        page = subject.type.timeline(subject.obj, show=show, before=before)
    else:
        page = timeline.timeline_page(
            timeline.notes_and_files(subject.owner_filter), show=show, before=before
        )
    _allow(page.entries, subject=subject, user=user)
    return page


def note_entry(subject: Subject, note_id: int, *, user) -> Entry | None:
    """One note of the subject as its timeline shows it (one query), or None."""
    page = timeline.timeline_page(
        timeline.notes_and_files({**subject.owner_filter, "pk": note_id}), show="notes", limit=1
    )
    _allow(page.entries, subject=subject, user=user)
    return page.entries[0] if page.entries else None


def _allow(entries: list[Entry], *, subject: Subject, user) -> None:
    for entry in entries:
        if entry.kind == "note":
            entry.can_edit = can_edit_note(user, author_id=entry.actor_id, subject=subject)
        if entry.kind in ("note", "file"):
            entry.can_delete = can_delete_item(user, owner_id=entry.actor_id, subject=subject)


def subject_history(
    subject: Subject, *, user, show: str = "all", before: Cursor | None = None, **forms
) -> HistoryPanel:
    """The panel of notes, files and the timeline on a subject's page."""
    return HistoryPanel(
        subject=subject,
        page=subject_timeline(subject, user=user, show=show, before=before),
        **forms,
    )

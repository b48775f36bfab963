"""Who may see and change notes and files: the rules of their subject, plus authorship.

- Seeing a note or file: whoever may see its subject (404 for anyone else).
- Adding one: whoever may change its subject (403 for someone who only sees it).
- Editing a note: its author only, while they may change its subject: nobody puts words
  in someone else's name.
- Deleting a note or file: its author or uploader, or a manager or admin who may change its
  subject (tidying up their team's deals); always with the right to change the subject.
"""

from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from notes.models import Attachment, Note
from notes.subjects import Subject, subject_for_user, subject_type_of


class NoteAccess(NamedTuple):
    note: Note
    subject: Subject


class AttachmentAccess(NamedTuple):
    attachment: Attachment
    subject: Subject


def can_edit_note(user, *, author_id: int | None, subject: Subject) -> bool:
    """Only the author edits a note, and only while they may change its subject."""
    return subject.can_change and author_id is not None and author_id == user.pk


def can_delete_item(user, *, owner_id: int | None, subject: Subject) -> bool:
    """The author (uploader), or a manager or admin, who may change the subject."""
    if not subject.can_change:
        return False
    return (owner_id is not None and owner_id == user.pk) or user.is_admin or user.is_manager


def _subject(user, item, *, write: bool) -> Subject:
    subject_type = subject_type_of(item)
    if subject_type is None:
        raise Http404("No such note or file.")
    return subject_for_user(
        user, subject_type.name, getattr(item, f"{subject_type.name}_id"), write=write
    )


def note_for_user(user, note_id, *, edit: bool = False, delete: bool = False) -> NoteAccess:
    """The note if `user` may see its subject (404 otherwise), and edit or delete it when
    asked (403 otherwise)."""
    note = get_object_or_404(Note.objects.select_related("author"), pk=note_id)
    subject = _subject(user, note, write=edit or delete)
    if edit and not can_edit_note(user, author_id=note.author_id, subject=subject):
        raise PermissionDenied("Only its author may edit a note.")
    if delete and not can_delete_item(user, owner_id=note.author_id, subject=subject):
        raise PermissionDenied("You may not delete this note.")
    return NoteAccess(note, subject)


def attachment_for_user(user, attachment_id, *, delete: bool = False) -> AttachmentAccess:
    """The file if `user` may see its subject (404 otherwise), and delete it when asked (403
    otherwise)."""
    attachment = get_object_or_404(Attachment, pk=attachment_id)
    subject = _subject(user, attachment, write=delete)
    if delete and not can_delete_item(user, owner_id=attachment.uploaded_by_id, subject=subject):
        raise PermissionDenied("You may not delete this file.")
    return AttachmentAccess(attachment, subject)

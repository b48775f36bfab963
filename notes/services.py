"""Every write to notes and files. Callers have checked access (notes.access)."""

import logging

from django.db import models, transaction
from django.utils import timezone

from notes.files import check_upload
from notes.models import SUBJECT_FIELDS, Attachment, Note

logger = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 20_000


class NoteRefused(ValueError):
    """The note cannot be saved as it is; the message says why."""


def subject_keys(subject: models.Model) -> dict[str, models.Model]:
    """The foreign key a note or file on `subject` sets: {"deal": deal}."""
    name = subject._meta.model_name
    if name not in SUBJECT_FIELDS:
        raise TypeError(f"Notes cannot belong to a {subject._meta.label}.")
    return {name: subject}


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise NoteRefused("Write something first.")
    if len(body) > NOTE_MAX_LENGTH:
        raise NoteRefused(f"A note may be at most {NOTE_MAX_LENGTH:,} characters long.")
    return body


def note_create(*, subject: models.Model, body: str, actor) -> Note:
    """Add a note by `actor` to a deal, organization or contact."""
    return Note.objects.create(**subject_keys(subject), author=actor, body=_clean_body(body))


def note_update(*, note: Note, body: str, actor) -> Note:
    """Change a note's text; it is marked edited (when) unless the text is the same."""
    body = _clean_body(body)
    if body != note.body:
        note.body, note.edited_at = body, timezone.now()
        note.save(update_fields=["body", "edited_at"])
    return note


def note_delete(*, note: Note, actor) -> None:
    """Delete a note."""
    note.delete()


@transaction.atomic
def attachment_upload(*, subject: models.Model, file, actor) -> Attachment:
    """Attach an uploaded file to a deal, organization or contact.

    Raises notes.files.UploadRefused for an empty or too large file, a type not allowed or a
    name that says another type. The file goes to the default storage under a random name.
    """
    checked = check_upload(file)
    attachment = Attachment(
        **subject_keys(subject),
        uploaded_by=actor,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
    )
    attachment.file.save(checked.name, file, save=False)
    stored = str(attachment.file.name)
    # The file is written before the row: if the row is not saved after all, remove it.
    try:
        attachment.save()
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    return attachment


def attachment_delete(*, attachment: Attachment, actor) -> None:
    """Delete a file: its row now, the stored file once that is committed."""
    storage, name = attachment.file.storage, str(attachment.file.name)
    attachment.delete()

    def remove() -> None:
        try:
            storage.delete(name)
        except OSError:
            # The row is gone, which is what users see; a leftover file only takes space.
            logger.warning("Could not delete the stored file %s", name, exc_info=True)

    transaction.on_commit(remove)

"""Notes and files on organizations and contacts: the record's own access rule decides.

Who may do what with each record of `tests/contacts/conftest.py`: whoever sees a record sees
its notes and files (404 otherwise), whoever may change it adds them (403 for someone who
sees it only through a deal).
"""

import pytest
from django.urls import reverse

from notes.models import Attachment, Note
from tests.contacts.conftest import ACCESS_CASES, HIDDEN, WRITE
from tests.notes.helpers import HTMX, PDF, upload

SUBJECTS = ["organization", "contact"]


@pytest.fixture(autouse=True)
def media(file_storage):
    """Uploaded files go to a folder of this test's own."""
    return file_storage


def record_of(records, subject: str, kind: str):
    return records.organization(kind) if subject == "organization" else records.contact(kind)


def page_of(subject: str, record) -> str:
    return reverse(f"contacts:{subject}-detail", args=[record.pk])


def test_urls_name_the_record():
    assert reverse("notes:note-create", args=["organization", 7]) == "/organizations/7/notes/"
    assert reverse("notes:note-create", args=["contact", 7]) == "/contacts/7/notes/"


@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_owner_adds_a_note_and_a_file_and_sees_them_on_the_records_page(
    client, cast, records, subject
):
    record = record_of(records, subject, "own_a")
    client.force_login(cast.rep_a)
    response = client.post(
        reverse("notes:note-create", args=[subject, record.pk]),
        {"body": "Met the *buyer*."},
        headers=HTMX,
    )
    assert response.status_code == 200
    client.post(
        reverse("notes:attachment-upload", args=[subject, record.pk]),
        {"file": upload("terms.pdf", PDF)},
        headers=HTMX,
    )
    note, attachment = Note.objects.get(), Attachment.objects.get()
    assert getattr(note, subject) == record and getattr(attachment, subject) == record

    page = client.get(page_of(subject, record)).text
    assert "Met the <em>buyer</em>." in page
    assert "terms.pdf" in page
    download = client.get(reverse("notes:attachment-download", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize(("viewer", "kind", "access"), ACCESS_CASES)
def test_notes_and_files_follow_the_records_access(
    client,
    cast,
    records,
    subject,
    viewer,
    kind,
    access,
):
    record = record_of(records, subject, kind)
    Note.objects.create(**{subject: record}, author=cast.admin, body="Admin note")
    attachment = Attachment.objects.create(
        **{subject: record},
        uploaded_by=cast.admin,
        original_name="a.pdf",
        content_type="application/pdf",
        size=len(PDF),
        file=upload("a.pdf", PDF),
    )
    client.force_login(cast.user(viewer))

    history = client.get(reverse("notes:history", args=[subject, record.pk]), headers=HTMX)
    download = client.get(reverse("notes:attachment-download", args=[attachment.pk]))
    added = client.post(
        reverse("notes:note-create", args=[subject, record.pk]), {"body": "Hi"}, headers=HTMX
    )

    if access == HIDDEN:
        assert (history.status_code, download.status_code, added.status_code) == (404, 404, 404)
    else:
        assert history.status_code == 200 and "Admin note" in history.text
        assert download.status_code == 200
        assert added.status_code == (200 if access == WRITE else 403)
    assert Note.objects.filter(body="Hi").exists() == (access == WRITE)

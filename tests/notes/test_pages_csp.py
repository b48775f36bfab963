"""The notes pages and partials hold no inline code (the Content-Security-Policy)."""

from django.urls import reverse

from notes.models import Note
from notes.services import attachment_upload
from tests.notes.helpers import HTMX, PDF, upload
from tests.test_csp import inline_code


def test_notes_pages_and_partials_hold_no_inline_code(client, cast):
    note = Note.objects.create(
        deal=cast.deal_a,
        author=cast.rep_a,
        body='<script>alert(1)</script> <a href="#" onclick="x()">y</a> [z](javascript:alert(1))',
    )
    attachment = attachment_upload(
        subject=cast.deal_a, file=upload("Offer.pdf", PDF), actor=cast.rep_a
    )
    client.force_login(cast.rep_a)
    for url, headers in [
        (reverse("pipeline:deal-detail", args=[cast.deal_a.pk]), {}),
        (reverse("notes:history", args=["deal", cast.deal_a.pk]), HTMX),
        (reverse("notes:note-detail", args=[note.pk]), HTMX),
        (reverse("notes:note-edit", args=[note.pk]), {}),
        (reverse("notes:note-edit", args=[note.pk]), HTMX),
        (reverse("notes:note-delete", args=[note.pk]), {}),
        (reverse("notes:attachment-delete", args=[attachment.pk]), {}),
    ]:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        assert inline_code(response.text) == [], url
    for url, data in [
        (reverse("notes:note-create", args=["deal", cast.deal_a.pk]), {"body": ""}),
        (reverse("notes:attachment-upload", args=["deal", cast.deal_a.pk]), {}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400 and inline_code(response.text) == [], url

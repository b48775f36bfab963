"""Uploading, downloading and deleting files on a deal page."""

import pytest
from django.urls import reverse

from notes.models import Attachment
from notes.services import attachment_upload
from tests.conftest import VISIBILITY_CASES
from tests.notes.helpers import (
    EXE,
    HTML,
    HTMX,
    PDF,
    PNG,
    is_fragment,
    office_zip,
    toast_message,
    upload,
)


def upload_url(deal):
    return reverse("notes:attachment-upload", args=["deal", deal.pk])


def stored_files(media):
    return sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())


@pytest.fixture
def attached(cast, client):
    """A PDF rep_a attached to their deal."""

    def attach(user=None, deal=None, name="Offer.pdf", content=PDF):
        client.force_login(user or cast.rep_a)
        client.post(upload_url(deal or cast.deal_a), {"file": upload(name, content)})
        return Attachment.objects.latest("pk")

    return attach


def test_rep_uploads_a_pdf_and_htmx_gets_the_panel_back(client, cast, media):
    client.force_login(cast.rep_a)
    response = client.post(
        upload_url(cast.deal_a),
        {"file": upload("Offer 2026.pdf", PDF, content_type="text/html")},
        headers=HTMX,
    )
    assert response.status_code == 200 and is_fragment(response)
    assert toast_message(response) == "Attached “Offer 2026.pdf”."
    attachment = Attachment.objects.get()
    assert (attachment.deal, attachment.uploaded_by, attachment.original_name) == (
        cast.deal_a,
        cast.rep_a,
        "Offer 2026.pdf",
    )
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(PDF))
    # Stored under a random name, never the user's.
    assert "Offer" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    assert stored_files(media) == [attachment.file.name]
    assert reverse("notes:attachment-download", args=[attachment.pk]) in response.text
    assert "Offer 2026.pdf" in response.text


def test_office_documents_and_images_are_accepted(client, cast):
    client.force_login(cast.rep_a)
    for name, content in [("Plan.docx", office_zip("word/")), ("Chart.png", PNG)]:
        client.post(upload_url(cast.deal_a), {"file": upload(name, content)})
    assert sorted(Attachment.objects.values_list("content_type", flat=True)) == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "image/png",
    ]


def test_without_javascript_an_upload_redirects_to_the_deal_page(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(upload_url(cast.deal_a), {"file": upload("Offer.pdf", PDF)})
    assert response["Location"] == f"/deals/{cast.deal_a.pk}/#history"


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("invoice.pdf", EXE, "is not a kind of file that can be attached"),
        ("invoice.pdf", HTML, "does not hold what its name says"),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_a_forbidden_or_disguised_file_is_refused(client, cast, media, name, content, error):
    client.force_login(cast.rep_a)
    response = client.post(upload_url(cast.deal_a), {"file": upload(name, content)}, headers=HTMX)
    assert response.status_code == 200 and error in response.text
    plain = client.post(upload_url(cast.deal_a), {"file": upload(name, content)})
    assert plain.status_code == 400 and error in plain.text
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_file_over_the_limit_gets_a_clear_error(client, cast, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(cast.rep_a)
    response = client.post(
        upload_url(cast.deal_a), {"file": upload("big.pdf", PDF + b"0" * 2000)}, headers=HTMX
    )
    assert "files may be at most 1.0\xa0KB" in response.text
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_no_file_is_a_form_error(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(upload_url(cast.deal_a), {}, headers=HTMX)
    assert "Choose a file to attach." in response.text and not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Quote%0D%0AX-Evil: 1.pdf", "Quote%0D%0AX-Evil 1.pdf"),  # as browsers send CR LF
        ("Quote\x00.exe.pdf", "Quote.exe.pdf"),
        ("Quote\u2028\x85\t.pdf", "Quote.pdf"),
        ("..\\..\\Quote.pdf", "Quote.pdf"),
    ],
)
def test_names_with_cr_lf_nul_and_paths_are_cleaned(client, cast, attached, sent, kept):
    attachment = attached(name=sent)
    assert attachment.original_name == kept
    response = client.get(reverse("notes:attachment-download", args=[attachment.pk]))
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "\x00" not in disposition


def test_a_name_with_raw_cr_lf_cannot_split_the_download_headers(client, cast):
    # The test client cannot send a raw CR LF in a multipart header; the service gets it.
    attachment = attachment_upload(
        subject=cast.deal_a, file=upload("Quote\r\nSet-Cookie: a=1.pdf", PDF), actor=cast.rep_a
    )
    assert attachment.original_name == "Quote Set-Cookie a=1.pdf"
    client.force_login(cast.rep_a)
    response = client.get(reverse("notes:attachment-download", args=[attachment.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="Quote Set-Cookie a=1.pdf"'
    assert "Set-Cookie" not in response.headers


def test_download_is_streamed_as_an_attachment_that_cannot_run(client, cast, attached):
    attachment = attached(name="Offer 2026.pdf")
    response = client.get(reverse("notes:attachment-download", args=[attachment.pk]))
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Offer 2026.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_a_text_file_is_sent_as_text_in_utf8(client, cast, attached):
    attachment = attached(name="Ärger.csv", content="a;b\nÄ;1\n".encode())
    response = client.get(reverse("notes:attachment-download", args=[attachment.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=utf-8''%C3%84rger.csv" in response["Content-Disposition"]


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_downloads_follow_deal_visibility(client, cast, attached, viewer, deal, visible):
    attachment = attached(user=cast.deal(deal).owner, deal=cast.deal(deal))
    client.force_login(cast.user(viewer))
    response = client.get(reverse("notes:attachment-download", args=[attachment.pk]))
    assert response.status_code == (200 if visible else 404)


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_uploads_and_deletes_follow_deal_visibility(
    client, cast, attached, media, viewer, deal, visible
):
    attachment = attached(user=cast.deal(deal).owner, deal=cast.deal(deal))
    client.force_login(cast.user(viewer))
    response = client.post(upload_url(cast.deal(deal)), {"file": upload("More.pdf", PDF)})
    assert response.status_code == (302 if visible else 404)
    delete_url = reverse("notes:attachment-delete", args=[attachment.pk])
    if not visible:
        assert client.get(delete_url).status_code == client.post(delete_url).status_code == 404
        assert list(Attachment.objects.values_list("pk", flat=True)) == [attachment.pk]
        assert len(stored_files(media)) == 1


def test_read_only_viewer_downloads_but_may_not_upload_or_delete(client, cast, read_only):
    attachment = attachment_upload(
        subject=cast.deal_a, file=upload("Offer.pdf", PDF), actor=cast.manager_a
    )
    client.force_login(cast.manager_a)
    assert client.get(reverse("notes:attachment-download", args=[attachment.pk])).status_code == 200
    delete_url = reverse("notes:attachment-delete", args=[attachment.pk])
    for response in [
        client.post(upload_url(cast.deal_a), {"file": upload("More.pdf", PDF)}, headers=HTMX),
        client.get(delete_url),
        client.post(delete_url, headers=HTMX),
    ]:
        assert response.status_code == 403
    assert list(Attachment.objects.values_list("pk", flat=True)) == [attachment.pk]


def test_uploader_deletes_a_file_and_it_leaves_the_storage(
    client, cast, attached, media, django_capture_on_commit_callbacks
):
    attachment = attached()
    confirm = client.get(reverse("notes:attachment-delete", args=[attachment.pk]))
    assert "Delete this file?" in confirm.text and "Offer.pdf" in confirm.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("notes:attachment-delete", args=[attachment.pk]), headers=HTMX
        )
    assert response.text == "" and toast_message(response) == "Deleted “Offer.pdf”."
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_rep_may_not_delete_the_managers_file(client, cast, attached):
    attachment = attached(user=cast.manager_a)
    client.force_login(cast.rep_a)
    assert client.post(reverse("notes:attachment-delete", args=[attachment.pk])).status_code == 403
    assert Attachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("notes:attachment-upload", "get"),
        ("notes:attachment-download", "post"),
        ("notes:attachment-delete", "put"),
    ],
)
def test_wrong_methods_are_refused(client, cast, attached, name, method):
    attachment = attached()
    args = ["deal", cast.deal_a.pk] if name == "notes:attachment-upload" else [attachment.pk]
    assert getattr(client, method)(reverse(name, args=args)).status_code == 405

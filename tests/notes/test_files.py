"""What an uploaded file is, from its content; and the names files are shown and sent under."""

import io
import zipfile

import pytest

from notes import files
from notes.files import UploadRefused, check_upload, clean_file_name, sniff
from tests.notes.helpers import EXE, HTML, PDF, PNG, office_zip, upload


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF, files.PDF),
        (PNG, files.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", files.JPEG),
        (b"GIF89a\x01\x00", files.GIF),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", files.WEBP),
        (office_zip("word/"), files.DOCX),
        (office_zip("xl/"), files.XLSX),
        (office_zip("ppt/"), files.PPTX),
        ("Name;Amount\nÄrger GmbH;12\n".encode(), files.TEXT),
        (EXE, None),
        (office_zip("word/", macros=True), None),  # a macro-enabled document
        (b"PK\x03\x04 not really a zip", None),
        (b"\x00\x01\x02binary", None),
        (b"\xff\xfe\xfd not utf-8 \xc3\x28 at all", None),
    ],
)
def test_the_type_is_read_from_the_content(content, expected):
    assert sniff(io.BytesIO(content)) is expected


def test_a_plain_zip_is_not_an_office_document():
    buffer = io.BytesIO()

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("secret.exe", EXE)
    assert sniff(io.BytesIO(buffer.getvalue())) is None


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("Offer 2026.pdf", "Offer 2026.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\Quote.pdf", "Quote.pdf"),
        ("evil\r\nSet-Cookie: x=1.pdf", "evil Set-Cookie x=1.pdf"),
        ("nul\x00byte.pdf", "nul byte.pdf"),
        ('say "hi".txt', "say hi.txt"),
        ("\u202egnp.exe", "gnp.exe"),  # right-to-left override
        ("...", "file"),
        ("", "file"),
        ("Ärger & Söhne.docx", "Ärger & Söhne.docx"),
    ],
)
def test_names_lose_paths_and_control_characters(name, cleaned):
    assert clean_file_name(name) == cleaned


def test_long_names_are_cut_keeping_the_extension():
    cleaned = clean_file_name("x" * 300 + ".pdf")
    assert len(cleaned) == 150 and cleaned.endswith("xx.pdf")


def test_check_upload_accepts_a_pdf_whatever_the_browser_says():
    checked = check_upload(upload("Offer.pdf", PDF, content_type="application/x-msdownload"))
    assert (checked.name, checked.content_type, checked.size) == (
        "Offer.pdf",
        "application/pdf",
        len(PDF),
    )


def test_csv_is_text_named_csv():
    checked = check_upload(upload("leads.csv", b"a,b\n1,2\n", content_type="application/pdf"))
    assert checked.content_type == "text/csv"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", EXE, "is not a kind of file that can be attached"),
        ("invoice.pdf", HTML, "does not hold what its name says: its content is plain text"),
        ("page.html", HTML, "does not hold what its name says"),
        ("photo.png", PDF, "its content is PDF (.pdf)"),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_check_upload_refuses_what_is_not_what_it_says(name, content, message):
    with pytest.raises(UploadRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_upload(upload(name, content))


def test_check_upload_refuses_a_file_over_the_limit(settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(UploadRefused, match="files may be at most 100"):
        check_upload(upload("big.pdf", PDF + b" " * 100))

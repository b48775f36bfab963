"""Files and requests shared by the notes tests."""

import io
import json
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.activities.helpers import HTMX, is_fragment

__all__ = ["HTMX", "is_fragment"]

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


def office_zip(folder: str, *, macros: bool = False) -> bytes:
    """A minimal Office Open XML file: its content types and a part in `folder`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<document/>")
        if macros:
            archive.writestr(f"{folder}vbaProject.bin", b"\x00")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    """A file as a browser sends it: the declared type is whatever the test says."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def toast_message(response) -> str | None:
    header = response.headers.get("HX-Trigger")
    return json.loads(header).get("toast", {}).get("message") if header else None

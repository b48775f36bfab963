"""What an uploaded file is, read from its content; and a file name safe to show and send.

The browser's declared content type and the file's extension are not trusted: the type is
found from the file's first bytes (and, for the zip-based Office formats, from the names
inside the zip), checked against an allowlist, and the name's extension must agree with it.
"""

import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.template.defaultfilters import filesizeformat

# How much of the file's start the checks read.
HEAD_BYTES = 8192


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str
    # Extensions a file of this type may have; the first is the canonical one.
    extensions: tuple[str, ...]


PDF = FileType("application/pdf", "PDF", (".pdf",))
PNG = FileType("image/png", "PNG image", (".png",))
JPEG = FileType("image/jpeg", "JPEG image", (".jpg", ".jpeg"))
GIF = FileType("image/gif", "GIF image", (".gif",))
WEBP = FileType("image/webp", "WebP image", (".webp",))
TEXT = FileType("text/plain", "plain text", (".txt", ".text", ".md", ".log", ""))
CSV = FileType("text/csv", "CSV", (".csv", ".tsv"))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word document",
    (".docx",),
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "Excel workbook",
    (".xlsx",),
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "PowerPoint presentation",
    (".pptx",),
)
ODT = FileType("application/vnd.oasis.opendocument.text", "OpenDocument text", (".odt",))
ODS = FileType(
    "application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet", (".ods",)
)
ODP = FileType(
    "application/vnd.oasis.opendocument.presentation", "OpenDocument presentation", (".odp",)
)

ALLOWED_TYPES = (PDF, PNG, JPEG, GIF, WEBP, TEXT, CSV, DOCX, XLSX, PPTX, ODT, ODS, ODP)
BY_CONTENT_TYPE = {file_type.content_type: file_type for file_type in ALLOWED_TYPES}
# Images a browser may show; everything else is only ever downloaded.
IMAGE_TYPES = frozenset({PNG.content_type, JPEG.content_type, GIF.content_type, WEBP.content_type})

MAGIC = [
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
]
# The folder inside an Office Open XML zip that says which application wrote it.
OOXML_PARTS = [("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)]
ODF_MIMETYPES = {t.content_type.encode(): t for t in (ODT, ODS, ODP)}


class UploadRefused(ValueError):
    """The file cannot be attached; the message says why, for the person who sent it."""


def allowed_types_text() -> str:
    """The allowed kinds of file, for forms and error messages."""
    return (
        "PDF, images (PNG, JPEG, GIF, WebP), plain text and CSV, Word, Excel and PowerPoint "
        "(.docx, .xlsx, .pptx) and OpenDocument files"
    )


def extension_for(content_type: str) -> str:
    """The canonical extension of an allowed type ("" for one not on the list)."""
    file_type = BY_CONTENT_TYPE.get(content_type)
    return file_type.extensions[0] if file_type else ""


def sniff(file: IO[bytes]) -> FileType | None:
    """The allowed type this file's content is, or None. Reads the start (and a zip's
    directory); leaves the file at its start."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    for magic, file_type in MAGIC:
        if head.startswith(magic):
            return file_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(file)
    if _is_text(head):
        return TEXT
    return None


def _zip_type(file: IO[bytes]) -> FileType | None:
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                return ODF_MIMETYPES.get(archive.read("mimetype").strip())
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, ValueError):
        return None
    finally:
        file.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    # Macro-enabled documents carry a VBA project: not accepted.
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None
    for folder, file_type in OOXML_PARTS:
        if any(name.startswith(folder) for name in names):
            return file_type
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The read may have cut a character in two at its end.
        if error.start < len(head) - 3:
            return False
    return True


def clean_file_name(name: str) -> str:
    """The last part of a path, without control or format characters (CR, LF, NUL, bidi
    overrides...), quotes or slashes, with spaces collapsed, at most 150 characters (the
    extension kept); "file" when nothing is left."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = [
        " " if unicodedata.category(char)[0] in "CZ" or char in '"<>:|?*' else char for char in name
    ]
    name = " ".join("".join(kept).split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > 15:
        stem, extension = name, ""
    else:
        extension = f".{extension}"
    stem = stem[: 150 - len(extension)].rstrip(" .")
    return f"{stem}{extension}" if stem else f"file{extension}"


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int


def check_upload(file) -> CheckedFile:
    """The cleaned name, the type found and the size of an uploaded file, or UploadRefused:
    empty, too large (ATTACHMENT_MAX_BYTES), a type not on the list, or a name whose
    extension says another type than the content."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if file.size == 0:
        raise UploadRefused("The file is empty.")
    if file.size > limit:
        raise UploadRefused(
            f"The file is {filesizeformat(file.size)}; files may be at most "
            f"{filesizeformat(limit)}."
        )
    name = clean_file_name(file.name)
    found = sniff(file)
    if found is None:
        raise UploadRefused(
            f"“{name}” is not a kind of file that can be attached. Allowed: {allowed_types_text()}."
        )
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    extension = f".{extension}" if extension else ""
    if found is TEXT and extension in CSV.extensions:
        found = CSV
    if extension not in found.extensions:
        raise UploadRefused(
            f"“{name}” does not hold what its name says: its content is {found.label}"
            f"{'' if found is TEXT else ' (' + found.extensions[0] + ')'}. Rename it, or attach "
            "the right file."
        )
    return CheckedFile(name=name, content_type=found.content_type, size=file.size)

"""An uploaded CSV file as rows of text with their line numbers, or a clear refusal.

Only UTF-8 is read (with or without the byte-order mark Excel's "CSV UTF-8" writes). Other
encodings are refused, not guessed: Latin-1, Windows-1252 and Mac Roman decode any byte, so
a wrong guess turns "Müller" into "MÃ¼ller" in the CRM without a word. The message says how
to save the file as UTF-8. The separator is a comma, or a semicolon or tab when the header
line holds more of those (Excel writes semicolons in many European locales).
"""

import csv
import io
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat

DELIMITERS = (",", ";", "\t")
BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
# Binary formats people upload instead of CSV, by their first bytes.
NOT_CSV = [
    (b"PK\x03\x04", "an Excel workbook or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
]
SAVE_AS_UTF8 = (
    "In Excel choose File, Save As, “CSV UTF-8”; in LibreOffice tick “Edit filter settings” "
    "and pick UTF-8."
)


class FileRefused(ValueError):
    """The file cannot be imported at all; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class CsvTable:
    """The header and the data rows (line number where each starts, cells) of a file."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    delimiter: str


def check_size(size: int, *, max_bytes: int) -> None:
    """FileRefused for an empty file or one larger than `max_bytes`."""
    if not size:
        raise FileRefused("The file is empty.")
    if size > max_bytes:
        raise FileRefused(
            f"The file is {filesizeformat(size)}; an import may be at most "
            f"{filesizeformat(max_bytes)}. Split it into several files."
        )


def decode(data: bytes, *, max_bytes: int) -> str:
    """The file's text, or FileRefused: empty, too large, binary, or not UTF-8."""
    check_size(len(data), max_bytes=max_bytes)
    for start, label in NOT_CSV:
        if data.startswith(start):
            raise FileRefused(f"This is {label}, not a CSV file. {SAVE_AS_UTF8}")
    for bom, encoding in BOMS.items():
        if data.startswith(bom):
            raise FileRefused(f"The file is {encoding} text; only UTF-8 is read. {SAVE_AS_UTF8}")
    if b"\x00" in data:
        raise FileRefused("The file holds binary data (NUL bytes): it is not a CSV text file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise FileRefused(
            f"The file is not UTF-8: line {line} holds the byte 0x{byte:02X}, which UTF-8 does "
            f"not allow there (the file is probably Latin-1 or Windows-1252). {SAVE_AS_UTF8}"
        ) from None


def sniff_delimiter(text: str) -> tuple[str, bool]:
    """The separator, and whether the first line only named it (Excel's `sep=;`). Else the
    one the header line uses most: comma, semicolon or tab (comma on a tie)."""
    first_line = text.split("\n", 1)[0].rstrip("\r")
    if first_line.lower().startswith("sep=") and first_line[4:] in DELIMITERS:
        return first_line[4:], True
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return (best if counts[best] > counts[","] else ","), False


def read_table(data: bytes, *, max_bytes: int) -> CsvTable:
    """Decode and parse a CSV file: its header (the first non-blank row) and its non-blank
    rows, each with the line it starts on. FileRefused when it cannot be read as CSV."""
    text = decode(data, max_bytes=max_bytes)
    delimiter, named = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    if named:
        next(reader)  # the `sep=` line (its line still counts)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    while True:
        # A quoted cell may hold line breaks: a row is numbered by the line it starts on.
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise FileRefused(
                f"Line {reader.line_num} cannot be read as CSV ({error}); nothing was imported."
            ) from None
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip() for cell in cells]
        else:
            rows.append((line, cells))
    if header is None:
        raise FileRefused("The file has no header row (and no data).")
    return CsvTable(header=header, rows=rows, delimiter=delimiter)

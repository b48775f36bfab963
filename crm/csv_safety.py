"""CSV files that are safe to open in a spreadsheet: every CSV the CRM writes goes through here.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return
before one) as a formula, so a rep or team named `=HYPERLINK(...)` would run in the reader's
spreadsheet. As OWASP advises (CSV injection), such text gets a leading apostrophe, which
spreadsheets show as plain text. Numbers are written by our own code and are left as numbers;
only text, which may come from users, is neutralised.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell's value, with an apostrophe before text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Writable(Protocol):
    """Where a CSV goes: a text file, a StringIO or an HttpResponse."""

    def write(self, text: str, /) -> Any: ...


class SafeWriter:
    """`csv.writer` whose rows are neutralised cell by cell."""

    def __init__(self, stream: Writable) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(value) for value in row])


def safe_writer(stream: Writable) -> SafeWriter:
    """A CSV writer (Unix line ends) that neutralises formula-like text in every row."""
    return SafeWriter(stream)


class _Line:
    """Holds what a csv.writer writes, one row at a time."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str, /) -> None:
        self.text += text


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Each row as one neutralised CSV line, lazily: the body of a StreamingHttpResponse, so
    a large export never sits in memory whole."""
    line = _Line()
    writer = safe_writer(line)
    for row in rows:
        writer.writerow(row)
        yield line.text
        line.text = ""

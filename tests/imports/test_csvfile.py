"""Reading an uploaded file: UTF-8 with or without BOM, other encodings and binary files
refused with a reason, the separator, line numbers, the size limit."""

import pytest

from imports.csvfile import FileRefused, read_table

LIMIT = 1_000_000


def table(data: bytes):
    return read_table(data, max_bytes=LIMIT)


def test_utf8_with_and_without_bom_read_the_same():
    plain = "name,country\nMüller GmbH,Österreich\n".encode()
    with_bom = b"\xef\xbb\xbf" + plain
    assert table(plain) == table(with_bom)
    assert table(with_bom).header == ["name", "country"]
    assert table(with_bom).rows == [(2, ["Müller GmbH", "Österreich"])]


def test_latin1_is_refused_with_the_line_and_how_to_save_as_utf8():
    data = "name\nAcme\nMüller\n".encode("latin-1")
    with pytest.raises(FileRefused) as refused:
        table(data)
    message = str(refused.value)
    assert "not UTF-8" in message
    assert "line 3" in message
    assert "0xFC" in message
    assert "CSV UTF-8" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_and_utf32_are_refused_by_name(encoding):
    with pytest.raises(FileRefused, match=encoding.upper()):
        table("name\nAcme\n".encode(encoding))


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00", "Excel workbook"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"name\nAc\x00me\n", "binary data"),
        (bytes(range(256)), "binary data"),
    ],
)
def test_binary_files_are_refused(data, says):
    with pytest.raises(FileRefused, match=says):
        table(data)


def test_an_empty_file_and_one_without_rows_are_refused():
    with pytest.raises(FileRefused, match="empty"):
        table(b"")
    with pytest.raises(FileRefused, match="no header"):
        table(b"\n\n ,\n")


def test_the_size_limit():
    with pytest.raises(FileRefused, match="at most 10\xa0bytes"):
        read_table(b"name\nAcme Corp\n", max_bytes=10)
    assert read_table(b"name\nAcme\n", max_bytes=10).rows == [(2, ["Acme"])]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_separator_is_found_from_the_header(delimiter):
    data = delimiter.join(["name", "sector", "country"]) + "\n"
    data += delimiter.join(["Acme, Inc.", "tech", "US"]) + "\n"
    if delimiter == ",":
        data = 'name,sector,country\n"Acme, Inc.",tech,US\n'
    parsed = table(data.encode())
    assert parsed.delimiter == delimiter
    assert parsed.rows == [(2, ["Acme, Inc.", "tech", "US"])]


def test_rows_are_numbered_by_the_line_they_start_on_and_blank_rows_skipped():
    data = b'name,note\r\n\r\nAcme,"two\r\nlines"\r\n,\r\nBeta,x\r\n'
    parsed = table(data)
    assert parsed.rows == [(3, ["Acme", "two\r\nlines"]), (6, ["Beta", "x"])]


def test_a_broken_quote_refuses_the_file_with_its_line():
    with pytest.raises(FileRefused, match="Line 3 cannot be read as CSV"):
        table(b'name,country\nAcme,US\n"Beta"x,US\n')


def test_excels_sep_line_names_the_separator():
    parsed = table(b"sep=;\r\nname;country\r\nAcme, Inc.;US\r\n")
    assert parsed.delimiter == ";"
    assert parsed.header == ["name", "country"]
    assert parsed.rows == [(3, ["Acme, Inc.", "US"])]

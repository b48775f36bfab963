"""CSV cells that a spreadsheet would read as formulas are neutralised (OWASP CSV injection)."""

import csv
import io
from decimal import Decimal

import pytest

from crm.csv_safety import neutralise, safe_writer


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil")',
        "+cmd",
        "-2+3",
        "@SUM(A1)",
        "\tleading tab",
        "\rleading carriage return",
        "=",
    ],
)
def test_text_starting_like_a_formula_gets_a_leading_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["Team A", "", "a=b", "'quoted", "(no team)", 'say "hi"', "total"]
)
def test_other_text_is_left_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [-5, Decimal("-1234.50"), -0.25, 0, None])
def test_numbers_we_write_stay_numbers(value):
    assert neutralise(value) is value


def test_the_writer_neutralises_every_text_cell_and_keeps_numbers():
    stream = io.StringIO()
    writer = safe_writer(stream)
    writer.writerow(["name", "amount"])
    writer.writerow(['=HYPERLINK("http://evil")', Decimal("-5.00")])
    writer.writerow(["+cmd", -3])
    assert list(csv.reader(io.StringIO(stream.getvalue()))) == [
        ["name", "amount"],
        ['\'=HYPERLINK("http://evil")', "-5.00"],
        ["'+cmd", "-3"],
    ]
    assert stream.getvalue().splitlines()[1] == '"\'=HYPERLINK(""http://evil"")",-5.00'


def test_csv_lines_streams_one_neutralised_line_per_row():
    from crm.csv_safety import csv_lines

    lines = csv_lines(iter([["name", "value"], ["=SUM(A1)", 12], ["a,b", "x\ny"]]))
    assert next(lines) == "name,value\n"
    assert list(lines) == ["'=SUM(A1),12\n", '"a,b","x\ny"\n']

"""The request helpers every view parses ids and `next` URLs with."""

import pytest
from django.test import RequestFactory

from crm.http import MAX_ID, parse_id, parse_ids, parse_int, safe_next


@pytest.mark.parametrize(
    "text, expected",
    [("1", 1), ("42", 42), (str(MAX_ID), MAX_ID), ("007", 7)],
)
def test_an_id_is_ascii_digits_within_bigint(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "0",
        "-1",
        "²",
        "١٢",
        "1_000",
        " 1",
        "1 ",
        "1e3",
        "0x1",
        "1.0",
        "+1",
        str(MAX_ID + 1),
        "9" * 40,
        "NaN",
    ],
)
def test_anything_else_is_not_an_id(text):
    assert parse_id(text) is None


def test_an_integer_may_be_negative_and_is_bounded():
    assert parse_int("-1024") == -1024
    assert parse_int("5", minimum=0, maximum=4) is None
    assert parse_int("-") is None
    assert parse_int("--1") is None


def test_invalid_ids_in_a_list_are_dropped():
    assert parse_ids(["3", "x", "²", "4"]) == (3, 4)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/deals/3/", "/deals/3/"),
        ("https://evil.example/", "/fallback/"),
        ("//evil.example/", "/fallback/"),
        ("", "/fallback/"),
        # A bare word would be taken for a URL name by `redirect()`.
        ("2201-01-01", "/fallback/"),
        ("deals", "/fallback/"),
    ],
)
def test_next_stays_on_this_site(target, expected):
    request = RequestFactory().get("/", {"next": target})
    assert safe_next(request, "/fallback/") == expected

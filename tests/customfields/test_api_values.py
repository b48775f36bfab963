"""The two functions the REST API uses: `values_for_api` (JSON-safe values) and
`clean_values` (checking what a client sends, with one clear message per field)."""

import json
from decimal import Decimal

import pytest

from contacts.models import Contact, Organization
from crm.text import SINGLE_LINE_MESSAGE
from customfields.values import clean_values, merge, values_for_api
from pipeline.models import Deal

from .conftest import define


def test_values_for_api_is_json_safe_and_null_for_empty_fields(cast, deal_fields):
    deal = cast.deal_a
    deal.custom = {"budget": 0.1, "renewal": "2030-01-31", "archived_key": "kept"}
    assert values_for_api(deal) == {
        "tier": None,
        "budget": "0.10",
        "seats": None,
        "renewal": "2030-01-31",
        "regions": None,
        "champion": None,
        "po_number": None,
    }
    json.dumps(values_for_api(deal))  # no Decimal, no date


def test_values_for_api_reads_the_definitions_once_when_given(
    cast, deal_fields, django_assert_num_queries
):
    from customfields.values import definitions_for

    definitions = definitions_for(Deal)
    deals = list(Deal.objects.all())
    with django_assert_num_queries(0):
        serialised = [values_for_api(deal, definitions) for deal in deals]
    assert len(serialised) == 3 and all(set(values) == set(deal_fields) for values in serialised)


def test_clean_values_accepts_json_values_of_every_type(cast, deal_fields):
    values, errors = clean_values(
        model=Deal,
        data={
            "tier": "Gold",
            "budget": "1999.99",
            "seats": 12.5,
            "renewal": "2027-03-31",
            "regions": ["APAC", "EU"],
            "champion": cast.rep_a.pk,
            "po_number": " PO 42 ",
        },
        partial=False,
        user=cast.rep_a,
    )
    assert errors == {}
    assert values == {
        "tier": "Gold",
        "budget": 1999.99,
        "seats": 12.5,
        "renewal": "2027-03-31",
        "regions": ["EU", "APAC"],
        "champion": cast.rep_a.pk,
        "po_number": "PO 42",
    }
    deal = cast.deal_a
    deal.custom = merge(deal.custom, values)
    deal.save()
    deal.refresh_from_db()
    assert values_for_api(deal)["budget"] == "1999.99"
    assert Decimal(values_for_api(deal)["budget"]) == Decimal("1999.99")


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"tier": "Platinum"},
            {"tier": "Select a valid choice. Platinum is not one of the available choices."},
        ),
        ({"budget": "lots"}, {"budget": "Enter a number."}),
        ({"budget": True}, {"budget": "Enter a number."}),
        ({"budget": "NaN"}, {"budget": "Enter a number."}),
        ({"budget": "1.001"}, {"budget": "Ensure that there are no more than 2 decimal places."}),
        (
            {"renewal": "9999-01-01"},
            {"renewal": "Choose dates from 1 January 1900 to 31 December 2200."},
        ),
        ({"renewal": "yesterday"}, {"renewal": "Enter a valid date."}),
        ({"regions": "EU"}, {"regions": "Enter a list of values."}),
        (
            {"regions": ["Mars"]},
            {"regions": "Select a valid choice. Mars is not one of the available choices."},
        ),
        (
            {"champion": 10**30},
            {"champion": "Choose one of the people offered (someone you can see)."},
        ),
        (
            {"champion": "²"},
            {"champion": "Choose one of the people offered (someone you can see)."},
        ),
        (
            {"champion": 1.5},
            {"champion": "Choose one of the people offered (someone you can see)."},
        ),
        ({"po_number": {"a": 1}}, {"po_number": "Enter a single value (text, number or list)."}),
        ({"po_number": ["a"]}, {"po_number": "Enter a single value, not a list."}),
        (
            {"po_number": "x" * 501},
            {"po_number": "Ensure this value has at most 500 characters (it has 501)."},
        ),
        (
            {"po_number": "PO\n42"},
            {"po_number": SINGLE_LINE_MESSAGE},
        ),
        ({"nope": 1}, {"nope": "Unknown field."}),
    ],
)
def test_clean_values_says_what_is_wrong_with_each_field(cast, deal_fields, data, errors):
    values, found = clean_values(model=Deal, data=data, partial=True, user=cast.rep_a)
    assert found == errors
    assert set(values).isdisjoint(errors)


def test_clean_values_full_requires_required_fields_and_partial_does_not(cast, deal_fields):
    define("deal", "source", "text", required=True)
    _, errors = clean_values(model=Deal, data={}, partial=False)
    assert errors == {"source": "This field is required."}
    values, errors = clean_values(model=Deal, data={"tier": None}, partial=True)
    assert (values, errors) == ({"tier": None}, {})
    assert merge({"tier": "Gold", "old": 1}, values) == {"old": 1}


def test_clean_values_offers_only_people_the_editor_may_see(cast, deal_fields):
    _, errors = clean_values(
        model=Deal, data={"champion": cast.rep_b.pk}, partial=True, user=cast.manager_a
    )
    assert errors == {"champion": "Choose one of the people offered (someone you can see)."}
    values, errors = clean_values(
        model=Deal, data={"champion": cast.rep_a2.pk}, partial=True, user=cast.manager_a
    )
    assert (values, errors) == ({"champion": cast.rep_a2.pk}, {})


def test_clean_values_refuses_archived_fields_and_non_objects(cast, deal_fields):
    deal_fields["tier"].archived_at = deal_fields["tier"].created_at
    deal_fields["tier"].save()
    assert clean_values(model=Deal, data={"tier": "Gold"}, partial=True) == (
        {},
        {"tier": "Unknown field."},
    )
    assert clean_values(model=Deal, data=["x"], partial=True) == (  # type: ignore[arg-type]
        {},
        {"custom": "Expected an object of custom field values by key."},
    )


def test_each_kind_has_its_own_fields(cast, deal_fields):
    define("organization", "tier", "text")
    values, errors = clean_values(model=Organization, data={"tier": "Free text"}, partial=True)
    assert (values, errors) == ({"tier": "Free text"}, {})
    assert clean_values(model=Contact, data={"tier": "x"}, partial=True)[1] == {
        "tier": "Unknown field."
    }
    assert clean_values(model="deal", data={"tier": "x"}, partial=True)[1] != {}

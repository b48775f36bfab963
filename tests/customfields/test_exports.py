"""CSV exports of deals, organizations and contacts: a column per custom field, only what
the viewer may see, neutralised cells, a fixed number of queries."""

import csv
import io

import pytest
from django.urls import reverse

from contacts.models import Organization
from customfields.values import values_for_api
from pipeline.models import Deal
from tests.conftest import VISIBILITY
from tests.contacts.conftest import ACCESS, HIDDEN
from tests.factories import make_contact, make_many_deals, make_organization

from .conftest import define

EXPORTS = ["pipeline:deal-export", "contacts:organization-export", "contacts:contact-export"]


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_round_trip_form_page_export_and_api(client, cast, deal_fields):
    client.force_login(cast.rep_a)
    client.post(
        f"{reverse('pipeline:deal-create')}?pipeline={cast.pipeline.pk}",
        {
            "title": "Round trip",
            "value": "10",
            "currency": "EUR",
            "stage": cast.pipeline.stages.order_by("order").first().pk,
            "cf_tier": "Gold",
            "cf_budget": "1234.5",
            "cf_seats": "3",
            "cf_renewal": "2027-02-01",
            "cf_regions": ["US", "EU"],
            "cf_champion": str(cast.rep_a.pk),
            "cf_po_number": '=HYPERLINK("x")',
        },
    )
    deal = Deal.objects.get(title="Round trip")
    page = client.get(reverse("pipeline:deal-detail", args=[deal.pk])).text
    assert "data-custom-field>1,234.50 EUR</dd>" in page
    rows = {row["title"]: row for row in read_csv(client.get(reverse("pipeline:deal-export")))}
    exported = rows["Round trip"]
    assert {label: exported[label] for label in [d.label for d in deal_fields.values()]} == {
        "Tier": "Gold",
        "Budget": "1234.50",
        "Seats": "3",
        "Renewal date": "2027-02-01",
        "Regions": "EU, US",
        "Champion": str(cast.rep_a),
        "PO number": '\'=HYPERLINK("x")',  # neutralised: a spreadsheet shows it as text
    }
    assert rows["Rep A's deal"]["Tier"] == ""
    assert values_for_api(deal) == {
        "tier": "Gold",
        "budget": "1234.50",
        "seats": "3",
        "renewal": "2027-02-01",
        "regions": ["EU", "US"],
        "champion": cast.rep_a.pk,
        "po_number": '=HYPERLINK("x")',
    }


def test_archived_fields_are_not_exported(client, cast, deal_fields):
    deal_fields["tier"].archived_at = deal_fields["tier"].created_at
    deal_fields["tier"].save()
    client.force_login(cast.admin)
    rows = read_csv(client.get(reverse("pipeline:deal-export")))
    assert "Tier" not in rows[0] and "Budget" in rows[0]


@pytest.mark.parametrize("viewer", list(VISIBILITY))
def test_the_deal_export_holds_exactly_the_deals_the_viewer_may_see(client, cast, viewer):
    client.force_login(cast.user(viewer))
    rows = read_csv(client.get(reverse("pipeline:deal-export")))
    assert {row["title"] for row in rows} == {cast.deal(name).title for name in VISIBILITY[viewer]}


@pytest.mark.parametrize("name", EXPORTS)
def test_exports_need_a_signed_in_user_and_a_get(client, cast, name):
    assert client.get(reverse(name)).status_code == 302  # to the login page
    client.force_login(cast.rep_a)
    assert client.post(reverse(name)).status_code == 405


def test_record_exports_hold_only_visible_records_with_their_custom_values(client, cast, db):
    define("organization", "segment", "choice", label="Segment", choices="SMB\nEnterprise")
    define("contact", "languages", "multi_choice", label="Languages", choices="EN\nFR")
    mine = make_organization(name="Mine", owner=cast.rep_a)
    make_organization(name="Theirs", owner=cast.rep_b)
    Organization.objects.filter(pk=mine.pk).update(custom={"segment": "SMB"})
    ada = make_contact(first_name="Ada", organization=mine, owner=cast.rep_a)
    ada.custom = {"languages": ["FR"]}
    ada.save()
    make_contact(first_name="Bob", organization=mine, owner=cast.rep_b)
    client.force_login(cast.rep_a)
    organizations = read_csv(client.get(reverse("contacts:organization-export")))
    assert [(row["name"], row["Segment"], row["owner"]) for row in organizations] == [
        ("Mine", "SMB", str(cast.rep_a))
    ]
    contacts = read_csv(client.get(reverse("contacts:contact-export"), {"cf_languages": "FR"}))
    assert [(row["first_name"], row["organization"], row["Languages"]) for row in contacts] == [
        ("Ada", "Mine", "FR")
    ]
    page = client.get(reverse("contacts:organization-list"), {"cf_segment": "SMB"}).text
    assert 'href="/organizations/export.csv?cf_segment=SMB"' in page


@pytest.mark.parametrize("name", EXPORTS)
@pytest.mark.parametrize(
    "params",
    [
        {"cf_tier": "²"},
        {"cf_tier": "9" * 40},
        {"owner": "9" * 40},
        {"organization": "²"},
        {"q": "a\r\nb" * 1000},
        {"status": "\x00"},
        {"cf_renewal": "9999-12-31"},
    ],
)
def test_bad_input_never_breaks_an_export(client, cast, deal_fields, name, params):
    client.force_login(cast.manager_a)
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_the_deal_export_runs_a_fixed_number_of_queries(
    client, cast, deal_fields, assert_max_queries
):
    stages = list(cast.pipeline.stages.all())
    client.force_login(cast.manager_a)
    counts = []
    for size in (10, 500):
        make_many_deals(size, owner=cast.rep_a, stages=stages)
        Deal.objects.update(custom={"champion": cast.rep_a.pk, "tier": "Gold"})
        with assert_max_queries(6) as queries:
            rows = read_csv(client.get(reverse("pipeline:deal-export")))
        assert all(row["Champion"] == str(cast.rep_a) for row in rows)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("viewer", list(ACCESS))
def test_record_exports_hold_exactly_what_the_viewer_may_see(client, cast, records, viewer):
    client.force_login(cast.user(viewer))
    visible = {kind for kind, access in ACCESS[viewer].items() if access != HIDDEN}
    organizations = read_csv(client.get(reverse("contacts:organization-export")))
    assert {row["name"] for row in organizations} == {
        records.organization(kind).name for kind in visible
    }
    contacts = read_csv(client.get(reverse("contacts:contact-export")))
    assert {row["email"] for row in contacts} == {records.contact(kind).email for kind in visible}

"""Custom fields through the API: `custom: {key: value}` on every deal, organization and
contact read or written, checked as the forms check it, merged so that archived fields and
keys left out keep their values, the lists' `cf_<key>` filters, visibility and token scopes
unchanged, and a fixed number of queries."""

import csv
import io

import pytest
from django.urls import reverse

from contacts.models import Contact, Organization
from customfields.models import FieldDefinition
from pipeline.models import Deal, DealFieldChange
from tests.conftest import VISIBILITY_CASES
from tests.customfields.conftest import define
from tests.factories import make_contact, make_deal, make_organization

pytestmark = pytest.mark.django_db


def deal_url(deal) -> str:
    return f"/api/v1/deals/{deal.pk}"


def first_stage(cast):
    return cast.pipeline.stages.order_by("order").first()


def admin_archives(client, cast, definition, action="archive") -> None:
    client.force_login(cast.admin)
    response = client.post(
        reverse("admin:customfields_fielddefinition_changelist"),
        {"action": action, "_selected_action": [definition.pk]},
    )
    assert response.status_code == 302


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def deal_fields(db) -> dict[str, FieldDefinition]:
    """One deal field of each type, as an admin would define them."""
    return {
        "tier": define("deal", "tier", "choice", label="Tier", choices="Gold\nSilver", order=1),
        "budget": define("deal", "budget", "money", label="Budget", order=2),
        "seats": define("deal", "seats", "number", label="Seats", order=3),
        "renewal": define("deal", "renewal", "date", label="Renewal date", order=4),
        "regions": define(
            "deal", "regions", "multi_choice", label="Regions", choices="EU\nUS\nAPAC", order=5
        ),
        "champion": define("deal", "champion", "user", label="Champion", order=6),
        "po_number": define("deal", "po_number", "text", label="PO number", order=7),
    }


EMPTY_DEAL_CUSTOM = dict.fromkeys(
    ["tier", "budget", "seats", "renewal", "regions", "champion", "po_number"]
)


# The round trip ---------------------------------------------------------------------------


ADMIN_DEFINES = [
    {"key": "tier", "label": "Tier", "type": "choice", "choices": "Gold\r\nSilver"},
    {"key": "budget", "label": "Budget", "type": "money"},
    {"key": "seats", "label": "Seats", "type": "number"},
    {"key": "renewal", "label": "Renewal date", "type": "date"},
    {"key": "regions", "label": "Regions", "type": "multi_choice", "choices": "EU\nUS\nAPAC"},
    {"key": "champion", "label": "Champion", "type": "user"},
    {"key": "po_number", "label": "PO number", "type": "text"},
]


def test_round_trip_through_the_form_the_api_the_page_and_the_export(client, cast, api_as):
    client.force_login(cast.admin)
    for order, definition in enumerate(ADMIN_DEFINES):
        response = client.post(
            reverse("admin:customfields_fielddefinition_add"),
            {"kind": "deal", "order": order, "help_text": "", **definition},
        )
        assert response.status_code == 302, response.text
    assert FieldDefinition.objects.filter(kind="deal").count() == len(ADMIN_DEFINES)

    # A rep fills them in on the deal form.
    client.force_login(cast.rep_a)
    client.post(
        f"{reverse('pipeline:deal-create')}?pipeline={cast.pipeline.pk}",
        {
            "title": "Round trip",
            "value": "10",
            "currency": "EUR",
            "stage": first_stage(cast).pk,
            "cf_tier": "Gold",
            "cf_budget": "1234.5",
            "cf_seats": "3",
            "cf_renewal": "2027-02-01",
            "cf_regions": ["US", "EU"],
            "cf_champion": str(cast.rep_a.pk),
            "cf_po_number": "PO-1",
        },
    )
    deal = Deal.objects.get(title="Round trip")

    # ... sees them through the API, JSON-safe (exact decimals as strings, ISO dates, ids).
    api = api_as("rep_a")
    read = api.get(deal_url(deal)).json()
    assert read["custom"] == {
        "tier": "Gold",
        "budget": "1234.50",
        "seats": "3",
        "renewal": "2027-02-01",
        "regions": ["EU", "US"],
        "champion": cast.rep_a.pk,
        "po_number": "PO-1",
    }

    # ... changes some through the API (the others are left as they are).
    response = api.patch(
        deal_url(deal),
        {
            "version": read["version"],
            "custom": {
                "tier": "Silver",
                "budget": "2500.5",
                "seats": 12.25,
                "regions": ["APAC"],
                "po_number": None,
            },
        },
    )
    assert response.status_code == 200
    changed = {
        "tier": "Silver",
        "budget": "2500.50",
        "seats": "12.25",
        "renewal": "2027-02-01",
        "regions": ["APAC"],
        "champion": cast.rep_a.pk,
        "po_number": None,
    }
    assert response.json()["custom"] == changed
    assert api.get(deal_url(deal)).json()["custom"] == changed

    # ... and sees the new values on the deal page (with the change history) and in the CSV.
    page = client.get(reverse("pipeline:deal-detail", args=[deal.pk])).text
    assert '>Tier</dt><dd class="col-sm-8 text-break" data-custom-field>Silver</dd>' in page
    assert "data-custom-field>2,500.50 EUR</dd>" in page
    assert "data-custom-field>12.25</dd>" in page
    assert "data-custom-field>APAC</dd>" in page
    exported = {row["title"]: row for row in read_csv(client.get(reverse("pipeline:deal-export")))}[
        "Round trip"
    ]
    assert {d["label"]: exported[d["label"]] for d in ADMIN_DEFINES} == {
        "Tier": "Silver",
        "Budget": "2500.50",
        "Seats": "12.25",
        "Renewal date": "2027-02-01",
        "Regions": "APAC",
        "Champion": str(cast.rep_a),
        "PO number": "",
    }


def test_an_api_change_is_recorded_in_the_deals_history_as_the_page_records_it(
    api_as, cast, deal_fields
):
    deal = cast.deal_a
    deal.custom = {"tier": "Silver", "budget": 100}
    deal.save()
    response = api_as("rep_a").patch(
        deal_url(deal),
        {"version": deal.version, "custom": {"tier": "Gold", "budget": "100.00"}},
    )
    assert response.status_code == 200
    changes = {
        (c.field, c.old_value, c.new_value) for c in DealFieldChange.objects.filter(deal=deal)
    }
    assert changes == {("Tier", "Silver", "Gold")}  # the budget is the same amount


def test_create_stores_custom_values_and_every_deal_result_carries_them(api_as, cast, deal_fields):
    api = api_as("rep_a")
    stages = list(cast.pipeline.stages.order_by("order"))
    created = api.post(
        "/api/v1/deals",
        {
            "title": "Made by API",
            "stage_id": stages[0].pk,
            "value": "500",
            "custom": {"tier": "Gold", "renewal": "2027-05-01", "champion": cast.rep_a.pk},
        },
    )
    assert created.status_code == 201
    expected = EMPTY_DEAL_CUSTOM | {
        "tier": "Gold",
        "renewal": "2027-05-01",
        "champion": cast.rep_a.pk,
    }
    assert created.json()["custom"] == expected
    deal = Deal.objects.get(title="Made by API")
    assert deal.custom == {"tier": "Gold", "renewal": "2027-05-01", "champion": cast.rep_a.pk}

    moved = api.post(f"{deal_url(deal)}/move", {"stage_id": stages[1].pk, "version": 1})
    assert moved.status_code == 200 and moved.json()["custom"] == expected
    won = api.post(f"{deal_url(deal)}/won", {"version": 2})
    assert won.status_code == 200 and won.json()["custom"] == expected
    reopened = api.post(f"{deal_url(deal)}/reopen", {"version": 3})
    assert reopened.status_code == 200 and reopened.json()["custom"] == expected
    lost = api.post(f"{deal_url(deal)}/lost", {"version": 4, "lost_reason_text": "Budget"})
    assert lost.status_code == 200 and lost.json()["custom"] == expected
    listed = {row["title"]: row for row in api.get("/api/v1/deals").json()["results"]}
    assert listed["Made by API"]["custom"] == expected
    assert listed["Rep A's deal"]["custom"] == EMPTY_DEAL_CUSTOM


def test_organizations_and_contacts_carry_custom_values_in_and_out(api_as, cast, client):
    define("organization", "segment", "choice", label="Segment", choices="SMB\nEnterprise")
    define("organization", "founded", "date", label="Founded")
    define("contact", "linkedin", "text", label="LinkedIn")
    api = api_as("rep_a")
    organization = api.post(
        "/api/v1/organizations",
        {"name": "Custom Org", "custom": {"segment": "Enterprise", "founded": "1999-12-31"}},
    )
    assert organization.status_code == 201
    assert organization.json()["custom"] == {"segment": "Enterprise", "founded": "1999-12-31"}
    org_id = organization.json()["id"]
    contact = api.post(
        "/api/v1/contacts",
        {
            "first_name": "Cy",
            "last_name": "Field",
            "organization_id": org_id,
            "custom": {"linkedin": "cy-field"},
        },
    )
    assert contact.status_code == 201
    assert contact.json()["custom"] == {"linkedin": "cy-field"}

    # A PATCH changes only the keys it sends.
    changed = api.patch(f"/api/v1/organizations/{org_id}", {"custom": {"segment": "SMB"}})
    assert changed.json()["custom"] == {"segment": "SMB", "founded": "1999-12-31"}
    assert Organization.objects.get(pk=org_id).custom == {
        "segment": "SMB",
        "founded": "1999-12-31",
    }
    contact_id = contact.json()["id"]
    cleared = api.patch(f"/api/v1/contacts/{contact_id}", {"custom": {"linkedin": None}})
    assert cleared.json()["custom"] == {"linkedin": None}
    assert Contact.objects.get(pk=contact_id).custom == {}

    client.force_login(cast.rep_a)
    page = client.get(reverse("contacts:organization-detail", args=[org_id])).text
    assert "data-custom-field>SMB</dd>" in page
    organizations = {row["name"]: row for row in api.get("/api/v1/organizations").json()["results"]}
    assert organizations["Custom Org"]["custom"] == {"segment": "SMB", "founded": "1999-12-31"}


# Validation -------------------------------------------------------------------------------


BAD_VALUES = [
    ("seats", "twelve", "Enter a number."),
    ("seats", True, "Enter a number."),
    ("seats", "NaN", "Enter a number."),
    ("seats", "1e400", "Ensure that there are no more than 15 digits in total."),
    ("budget", "12.345", "Ensure that there are no more than 2 decimal places."),
    ("budget", "1" * 13, "Ensure that there are no more than 12 digits before the decimal"),
    ("renewal", "9999-01-01", "Choose dates from 1 January 1900 to 31 December 2200."),
    ("renewal", "1899-12-31", "Choose dates from 1 January 1900 to 31 December 2200."),
    ("renewal", "31/12/2027", "Enter a valid date."),
    ("tier", "Platinum", "Select a valid choice."),
    ("tier", ["Gold"], "Enter a single value, not a list."),
    ("regions", ["EU", "Mars"], "Select a valid choice."),
    ("po_number", {"nested": "object"}, "Enter a single value (text, number or list)."),
    ("po_number", "x" * 501, "Ensure this value has at most 500 characters"),
    ("po_number", "nul\x00", "Null characters are not allowed."),
    ("po_number", "PO\r\n7", "Use a single line, without line breaks, tabs or other control"),
    ("po_number", "PO\t7", "Use a single line, without line breaks, tabs or other control"),
    ("champion", "²", "Choose one of the people offered (someone you can see)."),
    ("champion", 10**40, "Choose one of the people offered (someone you can see)."),
    ("nonexistent", "x", "Unknown field."),
]


@pytest.mark.parametrize(("key", "value", "message"), BAD_VALUES)
def test_a_bad_value_is_a_422_naming_the_field_and_nothing_changes(
    api_as, cast, deal_fields, key, value, message
):
    deal = cast.deal_a
    deal.custom = {"tier": "Gold"}
    deal.save()
    response = api_as("rep_a").patch(
        deal_url(deal), {"version": deal.version, "title": "Renamed", "custom": {key: value}}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == f"custom.{key}"
    assert message in error["message"]
    deal.refresh_from_db()
    assert (deal.title, deal.custom, deal.version) == ("Rep A's deal", {"tier": "Gold"}, 1)


def test_a_user_field_takes_only_someone_the_editor_may_see(api_as, cast, deal_fields):
    api = api_as("rep_a")
    refused = api.patch(
        deal_url(cast.deal_a), {"version": 1, "custom": {"champion": cast.rep_b.pk}}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "custom.champion",
            "message": "Choose one of the people offered (someone you can see).",
        }
    ]
    # A manager may name the people of their team.
    manager = api_as("manager_a")
    accepted = manager.patch(
        deal_url(cast.deal_a), {"version": 1, "custom": {"champion": cast.rep_a2.pk}}
    )
    assert accepted.status_code == 200
    assert accepted.json()["custom"]["champion"] == cast.rep_a2.pk
    # The person already named stays acceptable to the rep, who changes something else.
    kept = api.patch(
        deal_url(cast.deal_a),
        {"version": 2, "custom": {"champion": cast.rep_a2.pk, "tier": "Gold"}},
    )
    assert kept.status_code == 200


def test_text_is_trimmed_and_a_huge_key_is_named_shortened(api_as, cast, deal_fields):
    api = api_as("rep_a")
    response = api.patch(deal_url(cast.deal_a), {"version": 1, "custom": {"po_number": " PO 7 "}})
    assert response.json()["custom"]["po_number"] == "PO 7"
    response = api.patch(deal_url(cast.deal_a), {"version": 2, "custom": {"k" * 10_000: 1}})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "custom." + "k" * 100, "message": "Unknown field."}
    ]


def test_an_archived_key_is_refused_like_an_unknown_one(client, api_as, cast, deal_fields):
    admin_archives(client, cast, deal_fields["tier"])
    response = api_as("rep_a").patch(
        deal_url(cast.deal_a), {"version": 1, "custom": {"tier": "Gold"}}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "custom.tier", "message": "Unknown field."}]


@pytest.mark.parametrize("body", ["not an object", ["tier"], 12])
def test_custom_must_be_an_object(api_as, cast, deal_fields, body):
    response = api_as("rep_a").patch(deal_url(cast.deal_a), {"version": 1, "custom": body})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "custom"


def test_form_and_custom_errors_are_reported_together(api_as, cast, deal_fields):
    response = api_as("rep_a").post(
        "/api/v1/deals",
        {"title": "Both wrong", "stage_id": first_stage(cast).pk, "custom": {"seats": "many"}},
    )
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"value", "custom.seats"}
    assert not Deal.objects.filter(title="Both wrong").exists()


def test_a_required_field_is_required_on_create_but_not_to_change_something_else(
    api_as, cast, deal_fields
):
    define("deal", "region_code", "text", label="Region code", required=True)
    define("organization", "vat", "text", label="VAT number", required=True)
    api = api_as("rep_a")
    missing = api.post(
        "/api/v1/deals", {"title": "No code", "stage_id": first_stage(cast).pk, "value": "5"}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"field": "custom.region_code", "message": "This field is required."}
    ]
    created = api.post(
        "/api/v1/deals",
        {
            "title": "With code",
            "stage_id": first_stage(cast).pk,
            "value": "5",
            "custom": {"region_code": "EMEA"},
        },
    )
    assert created.status_code == 201

    # Deals made before the field was required still take other changes ...
    renamed = api.patch(deal_url(cast.deal_a), {"version": 1, "title": "Renamed"})
    assert renamed.status_code == 200
    assert renamed.json()["custom"]["region_code"] is None
    # ... but a required value cannot be cleared.
    cleared = api.patch(
        f"/api/v1/deals/{created.json()['id']}", {"version": 1, "custom": {"region_code": None}}
    )
    assert cleared.status_code == 422

    assert api.post("/api/v1/organizations", {"name": "No VAT"}).status_code == 422
    organization = make_organization("Old Org", owner=cast.rep_a)
    renamed_org = api.patch(f"/api/v1/organizations/{organization.pk}", {"name": "New Name"})
    assert renamed_org.status_code == 200


def test_writes_without_custom_leave_the_values_alone(api_as, cast, deal_fields):
    deal = cast.deal_a
    deal.custom = {"tier": "Gold", "seats": 3}
    deal.save()
    response = api_as("rep_a").patch(deal_url(deal), {"version": 1, "title": "Renamed"})
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.custom == {"tier": "Gold", "seats": 3}
    assert not DealFieldChange.objects.filter(deal=deal).exclude(field="title").exists()


# Archive and restore ----------------------------------------------------------------------


def test_archiving_hides_a_field_keeps_its_value_and_restoring_brings_it_back(
    client, api_as, cast, deal_fields
):
    deal = cast.deal_a
    deal.custom = {"tier": "Gold", "seats": 3}
    deal.save()
    api = api_as("rep_a")
    admin_archives(client, cast, deal_fields["tier"])
    shown = api.get(deal_url(deal)).json()["custom"]
    assert "tier" not in shown and shown["seats"] == "3"

    # An API change while it is archived keeps its value.
    assert api.patch(deal_url(deal), {"version": 1, "custom": {"seats": 4}}).status_code == 200
    deal.refresh_from_db()
    assert deal.custom == {"tier": "Gold", "seats": 4}

    admin_archives(client, cast, deal_fields["tier"], action="restore")
    assert api.get(deal_url(deal)).json()["custom"]["tier"] == "Gold"
    listed = api.get("/api/v1/deals").json()["results"]
    assert listed[0]["custom"]["tier"] == "Gold"


# Filters ----------------------------------------------------------------------------------


@pytest.fixture
def tagged(cast, deal_fields):
    """Deals with custom values: rep_a's Gold/EU/po-7, a second of rep_a's Silver/US, and
    rep_b's (invisible to rep_a) Gold/EU."""
    cast.deal_a.custom = {
        "tier": "Gold",
        "regions": ["EU", "US"],
        "champion": cast.rep_a.pk,
        "po_number": "PO-7",
    }
    cast.deal_a.save()
    make_deal(
        owner=cast.rep_a,
        stage=first_stage(cast),
        title="Silver deal",
        custom={"tier": "Silver", "regions": ["US"], "po_number": "PO-8"},
    )
    cast.deal_b.custom = {"tier": "Gold", "regions": ["EU"]}
    cast.deal_b.save()


def titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cf_tier": "Gold"}, {"Rep A's deal"}),
        ({"cf_tier": "Silver"}, {"Silver deal"}),
        ({"cf_regions": "US"}, {"Rep A's deal", "Silver deal"}),
        ({"cf_regions": "EU"}, {"Rep A's deal"}),
        ({"cf_po_number": " PO-8 "}, {"Silver deal"}),
        ({"cf_tier": "Gold", "cf_regions": "US"}, {"Rep A's deal"}),
        ({"cf_tier": ""}, {"Rep A's deal", "Silver deal"}),  # empty: no filter, as on the page
    ],
)
def test_deal_list_filters_by_custom_fields_within_what_the_viewer_sees(
    api_as, cast, tagged, params, expected
):
    assert titles(api_as("rep_a").get("/api/v1/deals", params)) == expected


def test_a_user_field_filter_takes_an_id(api_as, cast, tagged):
    api = api_as("manager_a")
    assert titles(api.get("/api/v1/deals", {"cf_champion": cast.rep_a.pk})) == {"Rep A's deal"}
    # Someone else's deals are not found through a filter either.
    assert titles(api.get("/api/v1/deals", {"cf_tier": "Gold"})) == {"Rep A's deal"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cf_tier", "Platinum"),
        ("cf_champion", "²"),
        ("cf_champion", "9" * 40),
        ("cf_po_number", "x" * 600),
        ("cf_po_number", "a\x00b"),
        ("cf_budget", "100"),  # money cannot filter a list (as on the page)
        ("cf_nonexistent", "1"),
        ("cf_", "x"),
    ],
)
def test_a_filter_the_list_cannot_use_is_a_422_never_a_server_error(
    api_as, cast, tagged, name, value
):
    response = api_as("rep_a").get("/api/v1/deals", {name: value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == name


def test_an_archived_field_no_longer_filters(client, api_as, cast, tagged, deal_fields):
    admin_archives(client, cast, deal_fields["tier"])
    assert api_as("rep_a").get("/api/v1/deals", {"cf_tier": "Gold"}).status_code == 422


def test_organization_and_contact_lists_filter_by_custom_fields(api_as, cast):
    define("organization", "segment", "choice", label="Segment", choices="SMB\nEnterprise")
    define("contact", "languages", "multi_choice", label="Languages", choices="de\nen\nfr")
    big = make_organization("Big Co", owner=cast.rep_a, custom={"segment": "Enterprise"})
    small = make_organization("Small Co", owner=cast.rep_a, custom={"segment": "SMB"})
    make_organization("Other Co", owner=cast.rep_b, custom={"segment": "Enterprise"})
    make_contact(organization=big, first_name="Ada", owner=cast.rep_a, custom={"languages": ["de"]})
    make_contact(
        organization=small, first_name="Bo", owner=cast.rep_a, custom={"languages": ["en"]}
    )
    api = api_as("rep_a")
    organizations = api.get("/api/v1/organizations", {"cf_segment": "Enterprise"})
    assert [row["name"] for row in organizations.json()["results"]] == ["Big Co"]
    contacts = api.get("/api/v1/contacts", {"cf_languages": "en"})
    assert [row["first_name"] for row in contacts.json()["results"]] == ["Bo"]
    assert api.get("/api/v1/contacts", {"cf_languages": "xx"}).status_code == 422
    assert api.get("/api/v1/organizations", {"cf_languages": "en"}).status_code == 422


# Visibility and scopes --------------------------------------------------------------------


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_custom_values_follow_the_deal_visibility_matrix(
    api_as, cast, deal_fields, viewer, deal, visible
):
    target = getattr(cast, deal)
    api = api_as(viewer)
    read = api.get(deal_url(target))
    change = api.patch(deal_url(target), {"version": 1, "custom": {"tier": "Silver"}})
    target.refresh_from_db()
    if visible:
        assert read.status_code == 200 and "custom" in read.json()
        assert change.status_code == 200
        assert target.custom == {"tier": "Silver"}
    else:
        assert (read.status_code, change.status_code) == (404, 404)
        assert target.custom == {}


def test_a_record_seen_but_not_changeable_is_403_and_keeps_its_values(api_as, cast):
    define("organization", "segment", "text", label="Segment")
    theirs = make_organization("Beta GmbH", owner=cast.rep_b, custom={"segment": "Old"})
    cast.deal_a.organization = theirs  # rep_a sees it through their deal
    cast.deal_a.save()
    api = api_as("rep_a")
    assert api.get(f"/api/v1/organizations/{theirs.pk}").json()["custom"] == {"segment": "Old"}
    response = api.patch(f"/api/v1/organizations/{theirs.pk}", {"custom": {"segment": "New"}})
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.custom == {"segment": "Old"}


def test_a_read_only_token_reads_custom_values_but_cannot_write_them(api_as, cast, deal_fields):
    cast.deal_a.custom = {"tier": "Gold"}
    cast.deal_a.save()
    api = api_as("rep_a", scope="read")
    assert api.get(deal_url(cast.deal_a)).json()["custom"]["tier"] == "Gold"
    change = api.patch(deal_url(cast.deal_a), {"version": 1, "custom": {"tier": "Silver"}})
    create = api.post(
        "/api/v1/deals",
        {"title": "Nope", "stage_id": first_stage(cast).pk, "value": "1", "custom": {}},
    )
    organization = api.post("/api/v1/organizations", {"name": "Nope", "custom": {}})
    assert (change.status_code, create.status_code, organization.status_code) == (403, 403, 403)
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.custom == {"tier": "Gold"}
    assert not Deal.objects.filter(title="Nope").exists()


# Queries and the OpenAPI document ---------------------------------------------------------


def test_a_filtered_list_reads_the_definitions_once_at_any_size(
    api_as, cast, assert_max_queries, five_fields
):
    # The token, the definitions (for the filter and every row shown), the page.
    api = api_as("rep_a")
    api.get("/api/v1/deals")
    with assert_max_queries(3) as small:
        assert titles(api.get("/api/v1/deals", {"cf_tier": "Gold"})) == set()
    for _ in range(25):
        make_deal(owner=cast.rep_a, stage=first_stage(cast), custom={"tier": "Gold"})
    with assert_max_queries(3) as large:
        assert len(titles(api.get("/api/v1/deals", {"cf_tier": "Gold", "limit": 20}))) == 20
    assert len(small.captured_queries) == len(large.captured_queries)


def test_the_openapi_document_describes_custom(anonymous_api):
    document = anonymous_api.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ["DealOut", "OrganizationOut", "ContactOut"]:
        custom = schemas[name]["properties"]["custom"]
        assert custom["type"] == "object"
        assert "money" in custom["description"]
    for name in ["DealCreateIn", "DealUpdateIn", "OrganizationIn", "ContactIn"]:
        assert "required fields" in schemas[name]["properties"]["custom"]["description"]
    list_description = document["paths"]["/api/v1/deals"]["get"]["description"]
    assert "cf_<key>=value" in list_description

"""Filtering the board, the deal list and the organization and contact lists by custom
fields (cf_<key>=value): on SQLite and on PostgreSQL (where the GIN index answers)."""

import pytest
from django.db import connection
from django.urls import reverse

from contacts.models import Organization
from customfields.queries import CustomFilter, apply_filters
from pipeline.models import Deal
from tests.factories import make_contact, make_deal, make_organization

from .conftest import define

BAD_VALUES = ["Platinum", "²", "9" * 40, "Gold\r\nSilver", "x" * 5000, "\x00", "-1"]


@pytest.fixture
def tagged(cast, deal_fields):
    """rep_a's deal is Gold in the EU, rep_a2's Silver in the US, rep_b's Gold in the US."""
    values = {
        cast.deal_a: {"tier": "Gold", "regions": ["EU", "US"], "champion": cast.rep_a.pk},
        cast.deal_a2: {"tier": "Silver", "regions": ["US"], "po_number": "PO 7"},
        cast.deal_b: {"tier": "Gold", "regions": ["US"], "champion": cast.rep_b.pk},
    }
    for deal, custom in values.items():
        Deal.objects.filter(pk=deal.pk).update(custom=custom)
    return values


def board_titles(response) -> set[str]:
    return {card.title for column in response.context["columns"] for card in column.cards}


def test_the_board_filters_by_choice_multiple_choice_user_and_text(client, cast, tagged):
    client.force_login(cast.admin)
    url = reverse("pipeline:board", args=[cast.pipeline.pk])
    assert board_titles(client.get(url, {"cf_tier": "Gold"})) == {"Rep A's deal", "Rep B's deal"}
    assert board_titles(client.get(url, {"cf_regions": "EU"})) == {"Rep A's deal"}
    assert board_titles(client.get(url, {"cf_champion": cast.rep_b.pk})) == {"Rep B's deal"}
    assert board_titles(client.get(url, {"cf_po_number": "PO 7"})) == {"Rep A2's deal"}
    both = client.get(url, {"cf_tier": "Gold", "cf_regions": "US"})
    assert board_titles(both) == {"Rep A's deal", "Rep B's deal"}
    page = both.text
    assert '<option value="Gold" selected>Gold</option>' in page
    assert '<input type="hidden" name="scope_cf_tier" value="Gold">' in page
    assert "Tier: any" in page


def test_a_filter_never_reveals_what_the_viewer_may_not_see(client, cast, tagged):
    client.force_login(cast.rep_a)
    url = reverse("pipeline:board", args=[cast.pipeline.pk])
    assert board_titles(client.get(url, {"cf_tier": "Gold"})) == {"Rep A's deal"}
    deals = client.get(reverse("pipeline:deal-list"), {"cf_tier": "Gold"})
    assert [deal.title for deal in deals.context["page"]] == ["Rep A's deal"]


def test_columns_and_live_updates_keep_the_boards_custom_filters(client, cast, tagged):
    client.force_login(cast.admin)
    lead = cast.pipeline.stages.order_by("order").first()
    column = client.get(
        reverse("pipeline:board-column", args=[cast.pipeline.pk, lead.pk]),
        {"scope_cf_tier": "Silver"},
    )
    assert [card.title for card in column.context["column"].cards] == ["Rep A2's deal"]
    assert column.context["column"].totals.count == 1
    changes = client.get(
        reverse("pipeline:board-changes", args=[cast.pipeline.pk]),
        {"scope_cf_tier": "Silver", "fp": f"{lead.pk}:x"},
    )
    assert changes.status_code == 200


def test_the_deal_list_filters_and_its_pages_keep_the_filter(client, cast, tagged):
    client.force_login(cast.admin)
    response = client.get(reverse("pipeline:deal-list"), {"cf_regions": "EU"})
    assert [deal.title for deal in response.context["page"]] == ["Rep A's deal"]
    assert response.context["custom_query"] == "cf_regions=EU"


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name", ["cf_tier", "cf_regions", "cf_champion", "cf_po_number"])
def test_bad_filter_values_are_ignored_never_a_server_error(client, cast, tagged, name, value):
    client.force_login(cast.manager_a)
    lead = cast.pipeline.stages.order_by("order").first()
    urls = [
        (reverse("pipeline:board", args=[cast.pipeline.pk]), {name: value}),
        (
            reverse("pipeline:board-column", args=[cast.pipeline.pk, lead.pk]),
            {f"scope_{name}": value},
        ),
        (reverse("pipeline:board-changes", args=[cast.pipeline.pk]), {f"scope_{name}": value}),
        (reverse("pipeline:deal-list"), {name: value}),
        (reverse("contacts:organization-list"), {name: value}),
        (reverse("contacts:contact-list"), {name: value}),
    ]
    for url, params in urls:
        response = client.get(url, params)
        assert response.status_code < 500, (url, params)
    board = client.get(urls[0][0], {name: value})
    if name != "cf_po_number" or len(value) > 100:
        # Nothing can match a value the field cannot hold: the filter is left out.
        assert board_titles(board) == {"Rep A's deal", "Rep A2's deal"}


def test_organization_and_contact_lists_filter_by_custom_fields(client, cast, db):
    define("organization", "segment", "choice", label="Segment", choices="SMB\nEnterprise")
    define("contact", "role", "multi_choice", label="Role", choices="Buyer\nUser\nChampion")
    big = make_organization(name="Big", owner=cast.rep_a)
    small = make_organization(name="Small", owner=cast.rep_a)
    Organization.objects.filter(pk=big.pk).update(custom={"segment": "Enterprise"})
    Organization.objects.filter(pk=small.pk).update(custom={"segment": "SMB"})
    buyer = make_contact(first_name="Bea", organization=big, owner=cast.rep_a)
    make_contact(first_name="Uma", organization=big, owner=cast.rep_a)
    buyer.custom = {"role": ["Buyer", "Champion"]}
    buyer.save()
    client.force_login(cast.rep_a)

    organizations = client.get(reverse("contacts:organization-list"), {"cf_segment": "SMB"})
    assert [o.name for o in organizations.context["page"].rows] == ["Small"]
    assert '<option value="SMB" selected>SMB</option>' in organizations.text
    contacts = client.get(reverse("contacts:contact-list"), {"cf_role": "Champion"})
    assert [c.first_name for c in contacts.context["page"].rows] == ["Bea"]
    assert contacts.context["page"].filters.query() == {"cf_role": "Champion"}

    htmx = client.get(
        reverse("contacts:contact-list"),
        {"cf_role": "Buyer"},
        headers={"HX-Request": "true", "HX-Target": "contact-results"},
    )
    assert [c.first_name for c in htmx.context["page"].rows] == ["Bea"]


def test_lists_keep_their_query_caps_with_five_fields(client, cast, assert_max_queries):
    for index in range(5):
        define("organization", f"field_{index}", "choice", choices="A\nB")
    for index in range(30):
        organization = make_organization(name=f"Org {index}", owner=cast.rep_a)
        organization.custom = {"field_0": "A"}
        organization.save()
    client.force_login(cast.manager_a)
    with assert_max_queries(8):  # the cap the list had before custom fields
        response = client.get(reverse("contacts:organization-list"), {"cf_field_0": "A"})
    assert len(response.context["page"].rows) == 30


def test_filters_match_the_same_rows_on_every_database(cast, tagged):
    deals = Deal.objects.all()
    fields = {d.key: d for d in [*tagged_definitions()]}
    gold = apply_filters(deals, [CustomFilter(fields["tier"], "Gold")])
    assert set(gold.values_list("title", flat=True)) == {"Rep A's deal", "Rep B's deal"}
    us = apply_filters(deals, [CustomFilter(fields["regions"], "US")])
    assert us.count() == 3
    champion = apply_filters(deals, [CustomFilter(fields["champion"], cast.rep_a.pk)])
    assert list(champion.values_list("title", flat=True)) == ["Rep A's deal"]


def tagged_definitions():
    from customfields.models import FieldDefinition

    return FieldDefinition.objects.filter(kind="deal")


@pytest.mark.usefixtures("requires_postgres")
def test_postgresql_answers_filters_from_the_gin_indexes(cast, tagged):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%custom_gin'"
        )
        indexes = dict(cursor.fetchall())
    assert set(indexes) == {"deal_custom_gin", "organization_custom_gin", "contact_custom_gin"}
    assert all("gin (custom jsonb_path_ops)" in definition for definition in indexes.values())

    definition = tagged_definitions().get(key="tier")
    rows = apply_filters(Deal.objects.all(), [CustomFilter(definition, "Gold")])
    assert "@>" in str(rows.query)
    with connection.cursor() as cursor:
        # With three rows a scan is cheaper; forbid it to see that the index can answer.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = rows.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "deal_custom_gin" in plan


def test_a_deal_elsewhere_is_not_found_through_a_custom_filter(client, cast, tagged):
    other = make_deal(owner=cast.rep_b, stage=cast.pipeline.stages.first(), title="Hidden")
    Deal.objects.filter(pk=other.pk).update(custom={"tier": "Silver"})
    client.force_login(cast.rep_a2)
    url = reverse("pipeline:board", args=[cast.pipeline.pk])
    assert board_titles(client.get(url, {"cf_tier": "Silver"})) == {"Rep A2's deal"}


def test_numbers_are_stored_so_that_range_filters_compare_them_as_numbers(cast, deal_fields):
    amounts = {cast.deal_a: 999.99, cast.deal_a2: 1000, cast.deal_b: 12000.5}
    for deal, amount in amounts.items():
        Deal.objects.filter(pk=deal.pk).update(custom={"budget": amount})
    big = Deal.objects.filter(custom__budget__gte=1000).order_by("custom__budget")
    assert list(big.values_list("title", flat=True)) == ["Rep A2's deal", "Rep B's deal"]
    assert Deal.objects.filter(custom__budget__lt=1000).get() == cast.deal_a

"""Custom fields on the deal form and the deal page: fill, validate, show, archive, restore."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from customfields.models import FieldDefinition
from customfields.values import values_for_api
from pipeline.models import Deal, DealFieldChange
from tests.pipeline.test_deal_admin import form_data

from .conftest import define


def create_url(cast) -> str:
    return f"{reverse('pipeline:deal-create')}?pipeline={cast.pipeline.pk}"


def deal_form(cast, **custom) -> dict:
    return {
        "title": "Custom deal",
        "value": "1000",
        "currency": "EUR",
        "stage": cast.pipeline.stages.order_by("order").first().pk,
        "owner": cast.rep_a.pk,
        **{f"cf_{key}": value for key, value in custom.items()},
    }


def test_rep_fills_every_type_and_the_deal_page_shows_them_formatted(client, cast, deal_fields):
    client.force_login(cast.rep_a)
    form = client.get(create_url(cast))
    for label in ["Tier", "Budget", "Seats", "Renewal date", "Regions", "Champion", "PO number"]:
        assert f">{label}</label>" in form.text

    response = client.post(
        create_url(cast),
        deal_form(
            cast,
            tier="Gold",
            budget="12345.6",
            seats="40",
            renewal="2027-03-31",
            regions=["EU", "APAC"],
            champion=str(cast.rep_a.pk),
            po_number="  PO-7 12 ",
        ),
    )
    deal = Deal.objects.get(title="Custom deal")
    assert response.status_code == 302
    assert deal.custom == {
        "tier": "Gold",
        "budget": 12345.6,
        "seats": 40,
        "renewal": "2027-03-31",
        "regions": ["EU", "APAC"],
        "champion": cast.rep_a.pk,
        "po_number": "PO-7 12",
    }
    page = client.get(reverse("pipeline:deal-detail", args=[deal.pk])).text
    shown = [
        ("Tier", "Gold"),
        ("Budget", "12,345.60 EUR"),
        ("Seats", "40"),
        ("Renewal date", "March 31, 2027"),
        ("Regions", "EU, APAC"),
        ("Champion", str(cast.rep_a)),
        ("PO number", "PO-7 12"),
    ]
    for label, value in shown:
        assert f'{label}</dt><dd class="col-sm-8 text-break" data-custom-field>{value}</dd>' in page
    assert values_for_api(deal) == {
        "tier": "Gold",
        "budget": "12345.60",
        "seats": "40",
        "renewal": "2027-03-31",
        "regions": ["EU", "APAC"],
        "champion": cast.rep_a.pk,
        "po_number": "PO-7 12",
    }


def test_empty_fields_show_a_dash_in_the_definitions_order(client, cast, deal_fields):
    client.force_login(cast.rep_a)
    page = client.get(reverse("pipeline:deal-detail", args=[cast.deal_a.pk])).text
    positions = [page.index(f">{d.label}</dt>") for d in deal_fields.values()]
    assert positions == sorted(positions)
    assert page.count("data-custom-field>—</dd>") == len(deal_fields)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget", "a lot", "Enter a number."),
        ("budget", "1e400", "Ensure that there are no more than 14 digits in total."),
        ("budget", "12.345", "Ensure that there are no more than 2 decimal places."),
        ("budget", "²", "Enter a number."),
        ("seats", "NaN", "Enter a number."),
        ("renewal", "9999-12-31", "Choose dates from 1 January 1900 to 31 December 2200."),
        ("renewal", "1899-12-31", "Choose dates from 1 January 1900 to 31 December 2200."),
        ("renewal", "31/31/2027", "Enter a valid date."),
        (
            "tier",
            "Platinum",
            "Select a valid choice. Platinum is not one of the available choices.",
        ),
        ("regions", "Mars", "Select a valid choice. Mars is not one of the available choices."),
        ("champion", "99999999999999999999999999", "Choose one of the people offered"),
        ("champion", "²", "Choose one of the people offered"),
        ("po_number", "x" * 501, "Ensure this value has at most 500 characters (it has 501)."),
        ("po_number", "PO\r\n7", "Use a single line, without line breaks, tabs or other control"),
    ],
)
def test_each_bad_value_gets_a_clear_error_and_nothing_is_saved(
    client, cast, deal_fields, field, value, message
):
    client.force_login(cast.rep_a)
    response = client.post(create_url(cast), deal_form(cast, **{field: value}))
    assert response.status_code == 200
    assert message in response.text
    assert not Deal.objects.filter(title="Custom deal").exists()


def test_a_required_field_must_be_filled(client, cast, deal_fields):
    define("deal", "source_ref", "text", label="Source reference", required=True)
    client.force_login(cast.rep_a)
    response = client.post(create_url(cast), deal_form(cast))
    assert response.status_code == 200 and "This field is required." in response.text
    response = client.post(create_url(cast), deal_form(cast, source_ref="web"))
    assert response.status_code == 302


def test_a_user_field_offers_only_people_the_editor_may_see(client, cast, deal_fields):
    client.force_login(cast.manager_a)
    form = client.get(create_url(cast)).text
    assert f'value="{cast.rep_a2.pk}">{cast.rep_a2}</option>' in form
    assert (
        f'value="{cast.rep_b.pk}"' not in form.split('name="cf_champion"')[1].split("</select>")[0]
    )
    response = client.post(create_url(cast), deal_form(cast, champion=str(cast.rep_b.pk)))
    assert response.status_code == 200
    assert "Choose one of the people offered (someone you can see)." in response.text


def test_editing_records_each_changed_field_in_the_history(client, cast, deal_fields):
    deal = cast.deal_a
    deal.custom = {"tier": "Silver", "budget": 100}
    deal.save()
    client.force_login(cast.rep_a)
    edit = reverse("pipeline:deal-edit", args=[deal.pk])
    form = client.get(edit).text
    assert '<option value="Silver" selected>Silver</option>' in form
    data = {
        "title": deal.title,
        "value": str(deal.value),
        "currency": deal.currency,
        "owner": cast.rep_a.pk,
        "version": deal.version,
        "cf_tier": "Gold",
        "cf_budget": "100.00",
        "cf_renewal": "2027-01-15",
    }
    assert client.post(edit, data).status_code == 302
    deal.refresh_from_db()
    assert deal.custom == {"tier": "Gold", "budget": 100, "renewal": "2027-01-15"}
    changes = {
        (c.field, c.old_value, c.new_value) for c in DealFieldChange.objects.filter(deal=deal)
    }
    assert changes == {("Tier", "Silver", "Gold"), ("Renewal date", "", "Jan. 15, 2027")}


def test_archiving_hides_a_field_keeps_its_values_and_restoring_brings_them_back(
    client, cast, deal_fields
):
    deal = cast.deal_a
    deal.custom = {"tier": "Gold", "seats": 12}
    deal.save()
    client.force_login(cast.admin)
    archive = client.post(
        reverse("admin:customfields_fielddefinition_changelist"),
        {"action": "archive", "_selected_action": [deal_fields["tier"].pk]},
    )
    assert archive.status_code == 302
    client.force_login(cast.rep_a)
    page = client.get(reverse("pipeline:deal-detail", args=[deal.pk])).text
    assert ">Tier</dt>" not in page and ">Seats</dt>" in page

    # Saving the form (which no longer shows the field) keeps the archived value.
    edit = reverse("pipeline:deal-edit", args=[deal.pk])
    assert 'name="cf_tier"' not in client.get(edit).text
    data = {
        "title": deal.title,
        "value": str(deal.value),
        "currency": deal.currency,
        "owner": cast.rep_a.pk,
        "version": deal.version,
        "cf_seats": "",
    }
    assert client.post(edit, data).status_code == 302
    deal.refresh_from_db()
    assert deal.custom == {"tier": "Gold"}

    client.force_login(cast.admin)
    client.post(
        reverse("admin:customfields_fielddefinition_changelist"),
        {"action": "restore", "_selected_action": [deal_fields["tier"].pk]},
    )
    client.force_login(cast.rep_a)
    page = client.get(reverse("pipeline:deal-detail", args=[deal.pk])).text
    assert '>Tier</dt><dd class="col-sm-8 text-break" data-custom-field>Gold</dd>' in page


def test_the_admin_delete_button_archives_and_even_a_real_delete_keeps_the_values(
    client, cast, deal_fields
):
    deal = cast.deal_a
    deal.custom = {"tier": "Gold"}
    deal.save()
    client.force_login(cast.admin)
    url = reverse("admin:customfields_fielddefinition_delete", args=[deal_fields["tier"].pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    tier = FieldDefinition.objects.get(pk=deal_fields["tier"].pk)
    assert tier.is_archived

    tier.delete()  # from the shell: the definition goes, the values stay in the rows
    deal.refresh_from_db()
    assert deal.custom == {"tier": "Gold"}
    define("deal", "tier", "choice", label="Tier again", choices="Gold")
    assert values_for_api(deal)["tier"] == "Gold"


def test_the_deal_admin_edits_custom_fields_through_the_service(client, cast, deal_fields):
    deal = cast.deal_a
    client.force_login(cast.admin)
    url = reverse("admin:pipeline_deal_change", args=[deal.pk])
    page = client.get(url)
    assert 'name="cf_budget"' in page.text
    response = client.post(url, form_data(page, cf_budget="99.99", cf_renewal="2026-12-31"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    deal.refresh_from_db()
    assert deal.custom == {"budget": 99.99, "renewal": "2026-12-31"}
    assert deal.version == 2
    assert values_for_api(deal)["budget"] == "99.99"
    assert from_api_date(values_for_api(deal)["renewal"]) == date(2026, 12, 31)


def from_api_date(text: str) -> date:
    return date.fromisoformat(text)


def test_money_stays_decimal_exact_at_the_largest_amounts(client, cast, deal_fields):
    client.force_login(cast.rep_a)
    client.post(create_url(cast), deal_form(cast, budget="999999999999.99", seats="0.0001"))
    deal = Deal.objects.get(title="Custom deal")
    deal.refresh_from_db()
    values = values_for_api(deal)
    assert values["budget"] == "999999999999.99"
    assert values["seats"] == "0.0001"
    assert Decimal(values["budget"]) == Decimal("999999999999.99")

"""Every change `deal_update` makes is recorded: field, old and new as text, who, when."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from pipeline import services
from pipeline.models import DealFieldChange, Product
from tests.factories import make_organization

T0 = datetime(2026, 5, 4, 15, 30, tzinfo=UTC)


def changes_of(deal) -> list[tuple]:
    return list(
        DealFieldChange.objects.filter(deal=deal)
        .order_by("id")
        .values_list("field", "old_value", "new_value", "changed_by__username")
    )


def test_each_changed_field_is_one_row_with_display_text(cast, time_machine):
    time_machine.move_to(T0, tick=False)
    acme = make_organization("Acme")
    product = Product.objects.create(name="GTX Pro", list_price=Decimal("4821.00"))
    deal = services.deal_update(
        deal=cast.deal_a,
        version=1,
        actor=cast.manager_a,
        title="Acme roll-out",
        value=Decimal("12500.5"),
        currency="EUR",
        organization=acme,
        product=product,
        expected_close_date=date(2026, 6, 30),
        owner=cast.rep_a2,
    )
    assert changes_of(deal) == [
        ("title", "Rep A's deal", "Acme roll-out", "manager_a"),
        ("value", "1,000.00", "12,500.50", "manager_a"),
        ("currency", "USD", "EUR", "manager_a"),
        ("organization", "", "Acme", "manager_a"),
        ("product", "", "GTX Pro", "manager_a"),
        ("expected_close_date", "", "2026-06-30", "manager_a"),
        ("owner", "Rep_A", "Rep_A2", "manager_a"),
    ]
    assert set(DealFieldChange.objects.values_list("changed_at", flat=True)) == {T0}


def test_unchanged_values_and_the_derived_team_write_nothing(cast):
    services.deal_update(
        deal=cast.deal_a,
        version=1,
        actor=cast.rep_a,
        title="Rep A's deal",
        value=Decimal("1000"),
        owner=cast.rep_a,
    )
    assert changes_of(cast.deal_a) == []


def test_a_cleared_value_is_recorded_as_empty(cast):
    deal = services.deal_update(
        deal=cast.deal_a, version=1, actor=cast.rep_a, expected_close_date=date(2026, 1, 2)
    )
    services.deal_update(deal=deal, version=2, actor=cast.rep_a, expected_close_date=None)
    assert changes_of(deal)[-1] == ("expected_close_date", "2026-01-02", "", "rep_a")


def test_a_refused_stale_update_records_nothing(cast):
    with pytest.raises(services.DealConflict):
        services.deal_update(deal=cast.deal_a, version=5, actor=cast.rep_a, title="Too late")
    assert changes_of(cast.deal_a) == []


def test_the_edit_form_records_what_it_changed(client, cast):
    client.force_login(cast.rep_a)
    client.post(
        reverse("pipeline:deal-edit", args=[cast.deal_a.pk]),
        {
            "title": "Renamed",
            "value": "1000.00",
            "currency": "USD",
            "owner": cast.rep_a.pk,
            "version": 1,
        },
    )
    assert changes_of(cast.deal_a) == [("title", "Rep A's deal", "Renamed", "rep_a")]
    page = client.get(reverse("pipeline:deal-detail", args=[cast.deal_a.pk]))
    assert "Title: <del>Rep A&#x27;s deal</del>" in page.text

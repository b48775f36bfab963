"""Adding a deal from the board, editing it, marking it won or lost, reopening it."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from pipeline.models import Deal, DealStageChange, DealStatus, Product
from tests.conftest import VISIBILITY_CASES
from tests.factories import make_organization

HTMX = {"HX-Request": "true"}


def stages(cast):
    return list(cast.pipeline.stages.order_by("order"))


def create_url(cast):
    return f"{reverse('pipeline:deal-create')}?pipeline={cast.pipeline.pk}"


def test_rep_adds_a_deal_from_the_board_dialog(client, cast):
    proposal = stages(cast)[1]
    client.force_login(cast.rep_a)
    form = client.get(create_url(cast), headers=HTMX)
    assert form.status_code == 200 and "<html" not in form.text
    assert 'hx-post="/deals/new/?pipeline=' in form.text

    response = client.post(
        create_url(cast),
        {
            "title": "Big one",
            "value": "12500.50",
            "currency": "EUR",
            "stage": proposal.pk,
            "owner": cast.rep_b.pk,
        },  # a rep cannot give a deal to someone else: ignored
        headers=HTMX,
    )
    assert response.status_code == 204
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["board:stale"] == {"stages": [proposal.pk]}
    assert triggers["toast"]["message"] == "Added “Big one” to Proposal."
    deal = Deal.objects.get(title="Big one")
    assert (deal.owner, deal.team, deal.territory) == (
        cast.rep_a,
        cast.team_a,
        cast.team_a.territory,
    )
    assert deal.value == Decimal("12500.50") and deal.currency == "EUR"
    top = Deal.objects.filter(stage=proposal, status=DealStatus.OPEN).order_by("position").first()
    assert top == deal
    entry = deal.stage_changes.get()
    assert (entry.from_stage, entry.to_stage, entry.changed_by) == (None, proposal, cast.rep_a)


def test_a_product_supplies_the_value_when_none_is_given(client, cast):
    product = Product.objects.create(name="GTX Pro", list_price=Decimal("4821.00"))
    client.force_login(cast.rep_a)
    client.post(
        create_url(cast),
        {
            "title": "From product",
            "product": product.pk,
            "currency": "USD",
            "stage": stages(cast)[0].pk,
        },
        headers=HTMX,
    )
    assert Deal.objects.get(title="From product").value == Decimal("4821.00")


def test_bad_input_re_renders_the_form_with_errors_and_keeps_what_was_typed(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(
        create_url(cast),
        {"title": "Half done", "currency": "USD", "stage": stages(cast)[0].pk},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Enter a value, or pick a product to use its list price." in response.text
    assert 'value="Half done"' in response.text
    assert not Deal.objects.filter(title="Half done").exists()


def test_manager_assigns_within_their_teams_only(client, cast):
    client.force_login(cast.manager_a)
    data = {"title": "Handed over", "value": "10", "currency": "USD", "stage": stages(cast)[0].pk}
    response = client.post(create_url(cast), {**data, "owner": cast.rep_b.pk}, headers=HTMX)
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    client.post(create_url(cast), {**data, "owner": cast.rep_a2.pk}, headers=HTMX)
    assert Deal.objects.get(title="Handed over").owner == cast.rep_a2


def test_stage_must_belong_to_the_pipeline(client, cast):
    from tests.factories import make_pipeline

    foreign = make_pipeline("Other").stages.first()
    client.force_login(cast.rep_a)
    response = client.post(
        create_url(cast),
        {"title": "X", "value": "1", "currency": "USD", "stage": foreign.pk},
        headers=HTMX,
    )
    assert "Select a valid choice" in response.text


def test_without_javascript_the_form_is_a_page_and_redirects_to_the_deal(client, cast):
    client.force_login(cast.rep_a)
    assert "<html" in client.get(create_url(cast)).text
    response = client.post(
        create_url(cast),
        {"title": "Plain", "value": "5", "currency": "USD", "stage": stages(cast)[0].pk},
    )
    deal = Deal.objects.get(title="Plain")
    assert response["Location"] == reverse("pipeline:deal-detail", args=[deal.pk])


def test_edit_changes_details_and_refuses_a_stale_version(client, cast):
    acme = make_organization("Acme", owner=cast.rep_a)  # one rep_a may link to (sees)
    client.force_login(cast.rep_a)
    url = reverse("pipeline:deal-edit", args=[cast.deal_a.pk])
    data = {
        "title": "Renamed",
        "organization": acme.pk,
        "value": "999.99",
        "currency": "USD",
        "owner": cast.rep_a.pk,
        "version": 1,
    }
    assert client.post(url, data).status_code == 302
    deal = Deal.objects.get(pk=cast.deal_a.pk)
    assert (deal.title, deal.organization, deal.value, deal.version) == (
        "Renamed",
        acme,
        Decimal("999.99"),
        2,
    )

    response = client.post(url, {**data, "title": "Too late"})
    assert response.status_code == 200
    assert "Someone else changed this deal while you were editing" in response.text
    assert Deal.objects.get(pk=cast.deal_a.pk).title == "Renamed"


def test_manager_reassigns_a_deal_and_its_team_follows_the_owner(client, cast):
    client.force_login(cast.manager_a)
    url = reverse("pipeline:deal-edit", args=[cast.deal_a.pk])
    client.post(
        url, {"title": "T", "value": "1", "currency": "USD", "owner": cast.rep_a2.pk, "version": 1}
    )
    deal = Deal.objects.get(pk=cast.deal_a.pk)
    assert deal.owner == cast.rep_a2 and deal.team == cast.team_a


def test_mark_won_then_reopen(client, cast):
    client.force_login(cast.rep_a)
    deal = cast.deal_a
    client.post(reverse("pipeline:deal-won", args=[deal.pk]), {"version": 1})
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON and deal.closed_at is not None
    page = client.get(reverse("pipeline:deal-detail", args=[deal.pk]))
    assert "is now won" in page.text and "Marked <strong>won</strong>" in page.text

    client.post(reverse("pipeline:deal-reopen", args=[deal.pk]), {"version": 2})
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN and deal.closed_at is None
    assert list(deal.stage_changes.values_list("to_status", flat=True)) == ["open", "won", "open"]


def test_mark_lost_asks_for_a_reason(client, cast):
    client.force_login(cast.rep_a)
    url = reverse("pipeline:deal-lost", args=[cast.deal_a.pk])
    response = client.post(url, {"version": 1, "reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert Deal.objects.get(pk=cast.deal_a.pk).status == DealStatus.OPEN

    client.post(url, {"version": 1, "reason": "other", "reason_text": "Chose a competitor"})
    deal = Deal.objects.get(pk=cast.deal_a.pk)
    assert (deal.status, deal.lost_reason, deal.lost_reason_text) == (
        DealStatus.LOST,
        None,
        "Chose a competitor",
    )
    change = DealStageChange.objects.get(deal=deal, to_status=DealStatus.LOST)
    assert change.changed_by == cast.rep_a


@pytest.mark.parametrize(
    ("viewer", "data"),
    [
        ("rep_a", {"version": 1, "reason": "  "}),  # no reason
        # someone changed it meanwhile
        ("manager_a", {"version": 7, "reason": "other", "reason_text": "Budget"}),
    ],
)
def test_a_refused_lost_form_redraws_the_whole_deal_page_with_its_activities(
    client, cast, viewer, data
):
    from datetime import date

    from tests.activities.factories import make_activity

    make_activity(deal=cast.deal_a, subject="Call about the budget", due_date=date(2030, 1, 7))
    client.force_login(cast.user(viewer))
    page = client.get(reverse("pipeline:deal-detail", args=[cast.deal_a.pk]))

    refused = client.post(reverse("pipeline:deal-lost", args=[cast.deal_a.pk]), data)

    assert refused.status_code == 400
    assert set(refused.context.keys()) == set(page.context.keys())
    assert refused.context["lost_form"].errors
    assert refused.context["activity_panel"].open[0].subject == "Call about the budget"
    assert 'id="activities"' in refused.text and "Call about the budget" in refused.text
    assert 'id="move"' in refused.text  # still open: the stage menu is there
    assert Deal.objects.get(pk=cast.deal_a.pk).status == DealStatus.OPEN


def test_closing_twice_is_refused_with_a_message(client, cast):
    client.force_login(cast.rep_a)
    url = reverse("pipeline:deal-won", args=[cast.deal_a.pk])
    client.post(url, {"version": 1})
    response = client.post(url, {"version": 2}, follow=True)
    assert "is already won" in response.text
    assert DealStageChange.objects.filter(deal=cast.deal_a, to_status=DealStatus.WON).count() == 1


@pytest.mark.parametrize("name", ["deal-edit", "deal-won", "deal-lost", "deal-reopen"])
@pytest.mark.parametrize(("viewer", "deal", "allowed"), VISIBILITY_CASES)
def test_deal_actions_answer_404_to_whoever_may_not_see_the_deal(
    client, cast, name, viewer, deal, allowed
):
    client.force_login(cast.user(viewer))
    response = client.post(
        reverse(f"pipeline:{name}", args=[cast.deal(deal).pk]), {"version": 1, "reason": "x"}
    )
    assert (response.status_code != 404) == allowed


@pytest.mark.parametrize("name", ["deal-won", "deal-lost", "deal-reopen"])
def test_closing_actions_need_post(client, cast, name):
    client.force_login(cast.rep_a)
    assert client.get(reverse(f"pipeline:{name}", args=[cast.deal_a.pk])).status_code == 405


def test_deal_page_offers_a_stage_menu_that_works_without_javascript(client, cast):
    client.force_login(cast.rep_a)
    page = client.get(reverse("pipeline:deal-detail", args=[cast.deal_a.pk]))
    assert 'id="move"' in page.text
    for stage in stages(cast):
        assert f'<option value="{stage.pk}"' in page.text

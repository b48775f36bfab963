"""Deal fields marked "show on board card" on the board's cards, at a fixed query count."""

import pytest
from django.urls import reverse

from pipeline.models import Deal
from tests.factories import make_many_deals

from .conftest import define


def stages(cast):
    return list(cast.pipeline.stages.order_by("order"))


@pytest.fixture
def five_fields(db):
    """Five deal fields, three of them on the cards (one names a user)."""
    return [
        define("deal", "tier", "choice", choices="Gold\nSilver", show_on_card=True, order=1),
        define("deal", "budget", "money", show_on_card=True, order=2),
        define("deal", "sponsor", "user", show_on_card=True, order=3),
        define("deal", "renewal", "date", order=4),
        define("deal", "note", "text", order=5),
    ]


def test_cards_show_the_chosen_fields_that_have_a_value(client, cast, five_fields):
    Deal.objects.filter(pk=cast.deal_a.pk).update(
        custom={"tier": "Gold", "budget": 2500, "sponsor": cast.rep_a.pk, "note": "not on card"}
    )
    client.force_login(cast.rep_a)
    board = client.get(reverse("pipeline:board", args=[cast.pipeline.pk]))
    card = board.context["columns"][0].cards[0]
    assert card.card_fields == [
        ("Tier", "Gold"),
        ("Budget", "2,500.00 USD"),
        ("Sponsor", str(cast.rep_a)),
    ]
    assert 'text-body-secondary">Tier:</dt><dd class="mb-0 text-truncate">Gold</dd>' in board.text
    assert "not on card" not in board.text

    column = client.get(
        reverse("pipeline:board-column", args=[cast.pipeline.pk, stages(cast)[0].pk])
    )
    assert 'Budget:</dt><dd class="mb-0 text-truncate">2,500.00 USD</dd>' in column.text


def test_a_moved_card_keeps_its_fields(client, cast, five_fields):
    Deal.objects.filter(pk=cast.deal_a.pk).update(custom={"tier": "Silver"})
    client.force_login(cast.rep_a)
    response = client.post(
        reverse("pipeline:deal-move", args=[cast.deal_a.pk]),
        {"stage": stages(cast)[1].pk, "version": 1},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'Tier:</dt><dd class="mb-0 text-truncate">Silver</dd>' in response.text


@pytest.mark.parametrize("viewer", ["rep_a", "manager_a", "admin"])
def test_board_and_column_keep_their_query_caps_with_five_fields(
    client, cast, five_fields, viewer, assert_max_queries
):
    all_stages = stages(cast)
    client.force_login(cast.user(viewer))
    board = reverse("pipeline:board", args=[cast.pipeline.pk])
    column = reverse("pipeline:board-column", args=[cast.pipeline.pk, all_stages[0].pk])
    counts = []
    for count in (7, 990):
        make_many_deals(count, owner=cast.rep_a, stages=all_stages)
        Deal.objects.update(custom={"tier": "Gold", "budget": 10, "sponsor": cast.rep_a.pk})
        # The board's cap before custom fields was 10: one more reads the definitions,
        # whatever their number; user names come in the cards' query.
        with assert_max_queries(11) as board_queries:
            assert client.get(board, {"q": "deal"}).status_code == 200
        with assert_max_queries(10) as column_queries:
            assert client.get(column, {"scope_q": "deal"}).status_code == 200
        counts.append((len(board_queries.captured_queries), len(column_queries.captured_queries)))
    assert counts[0] == counts[1]

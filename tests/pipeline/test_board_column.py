"""One board column (`pipeline:board-column`): refreshed whole, or its next cards (?after=).

A refreshed column must draw its cards exactly as the board does: the same card builder.
"""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from tests.activities.factories import make_activity
from tests.factories import make_deal, make_many_deals


def stages(cast):
    return list(cast.pipeline.stages.order_by("order"))


def column_url(cast, stage):
    return reverse("pipeline:board-column", args=[cast.pipeline.pk, stage.pk])


@time_machine.travel("2026-11-27 15:00:00+00:00", tick=False)
@pytest.mark.parametrize("htmx", [True, False])
def test_a_refreshed_column_shows_each_cards_next_activity_like_the_board(client, cast, htmx):
    lead = stages(cast)[0]
    planned = make_deal(owner=cast.rep_a, stage=lead, title="Planned")
    late = make_deal(owner=cast.rep_a, stage=lead, title="Late")
    make_activity(
        deal=planned,
        type="meeting",
        subject="Demo",
        due_at=datetime(2026, 11, 30, 14, 30, tzinfo=UTC),
    )
    make_activity(deal=late, type="call", subject="Overdue call", due_date=date(2026, 11, 25))
    client.force_login(cast.rep_a)

    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(column_url(cast, lead), headers=headers)

    assert response.status_code == 200
    cards = {deal.title: deal for deal in response.context["column"].cards}
    assert cards["Planned"].next_activity.subject == "Demo"
    assert cards["Late"].next_activity_is_overdue
    assert cards["Rep A's deal"].next_activity is None
    text = response.text
    assert "Mon 30 Nov, 14:30" in text
    assert 'text-danger fw-semibold" title="Next: Overdue call"' in text
    assert text.count("No next activity") == 1


@time_machine.travel("2026-11-27 15:00:00+00:00", tick=False)
def test_load_more_cards_show_their_next_activity(client, cast):
    proposal = stages(cast)[1]
    make_many_deals(30, owner=cast.rep_a, stages=[proposal])
    deals = list(proposal.deals.order_by("position", "id"))
    for deal in deals[25:]:
        make_activity(deal=deal, subject=f"Follow up {deal.pk}", due_date=date(2026, 12, 1))
    client.force_login(cast.rep_a)
    last = deals[24]
    response = client.get(
        column_url(cast, proposal),
        {"after": f"{last.position}_{last.pk}"},
        headers={"HX-Request": "true"},
    )
    cards = response.context["column"].cards
    assert [card.pk for card in cards] == [deal.pk for deal in deals[25:]]
    assert all(card.next_activity.subject == f"Follow up {card.pk}" for card in cards)
    assert "No next activity" not in response.text


def test_a_refreshed_column_draws_the_same_cards_as_the_board(client, cast):
    lead = stages(cast)[0]
    make_many_deals(5, owner=cast.rep_a, stages=[lead])
    make_activity(deal=cast.deal_a, subject="Kick-off", due_date=date(2030, 1, 7))
    client.force_login(cast.manager_a)
    board = client.get(reverse("pipeline:board", args=[cast.pipeline.pk]))
    on_board = next(c for c in board.context["columns"] if c.stage == lead)
    refreshed = client.get(column_url(cast, lead), headers={"HX-Request": "true"})
    column = refreshed.context["column"]
    assert [c.pk for c in column.cards] == [c.pk for c in on_board.cards]
    assert column.totals == on_board.totals
    assert all(card.stage == lead for card in column.cards)
    assert [(c.next_activity and c.next_activity.subject) for c in column.cards] == [
        (c.next_activity and c.next_activity.subject) for c in on_board.cards
    ]
    assert "Kick-off" in refreshed.text
    # Card for card, the refreshed column's markup is what the board drew.
    for card in column.cards:
        start = refreshed.text.index(f'id="deal-{card.pk}"')
        end = refreshed.text.index("</article>", start)
        assert refreshed.text[start:end] in board.text


@pytest.mark.parametrize("viewer", ["rep_a", "manager_a", "admin"])
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_column_runs_a_fixed_number_of_queries_at_10_and_1000_deals(
    client, cast, viewer, htmx, assert_max_queries
):
    all_stages = stages(cast)
    lead = all_stages[0]
    url = column_url(cast, lead)
    headers = {"HX-Request": "true"} if htmx else {}
    client.force_login(cast.user(viewer))

    def add_deals(count):
        deals = make_many_deals(count, owner=cast.rep_a, stages=all_stages)
        for deal in deals[::3]:  # a next activity on some cards, none on the others
            make_activity(deal=deal, subject="Next step", due_date=date(2030, 1, 7))

    def whole_column_and_next_page():
        with assert_max_queries(10):
            whole = client.get(url, {"scope_q": "deal"}, headers=headers)
        first = whole.context["column"].cards[0]
        with assert_max_queries(10):
            page = client.get(
                url, {"after": f"{first.position}_{first.pk}", "scope_q": "deal"}, headers=headers
            )
        assert whole.status_code == page.status_code == 200
        return whole.context["column"], page.context["column"]

    add_deals(7)  # 10 deals with the cast's
    whole, page = whole_column_and_next_page()
    assert whole.cards[1:] == page.cards and not page.has_more

    add_deals(990)
    whole, page = whole_column_and_next_page()
    assert whole.totals.count >= 330
    assert len(whole.cards) == len(page.cards) == 25
    assert whole.has_more and page.has_more

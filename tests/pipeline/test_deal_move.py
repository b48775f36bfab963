"""Moving a deal on the board: one history row per real move, refusals, conflicts, limits."""

import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from pipeline.models import Deal, DealStageChange, DealStatus
from pipeline.services import POSITION_STEP
from tests.conftest import VISIBILITY_CASES
from tests.factories import make_deal, make_many_deals, make_pipeline

HTMX = {"HX-Request": "true"}


def stages(cast):
    return list(cast.pipeline.stages.order_by("order"))


def move(client, deal, stage, *, after=None, version=None, htmx=True, **extra):
    data = {"stage": stage.pk, "version": version or deal.version, **extra}
    if after is not None:
        data["after"] = after.pk
    return client.post(
        reverse("pipeline:deal-move", args=[deal.pk]), data, headers=HTMX if htmx else {}
    )


def toast(response) -> dict:
    return json.loads(response["HX-Trigger"])["toast"]


def test_move_to_another_stage_records_one_history_row_and_updates_both_headers(client, cast):
    lead, proposal, _ = stages(cast)
    make_deal(owner=cast.rep_a, stage=proposal, value="500")
    deal = cast.deal_a
    before_entered = deal.stage_entered_at
    client.force_login(cast.rep_a)

    response = move(client, deal, proposal)

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == proposal and deal.version == 2
    assert deal.stage_entered_at > before_entered
    change = DealStageChange.objects.filter(deal=deal, from_stage__isnull=False).get()
    assert (change.from_stage, change.to_stage, change.changed_by) == (lead, proposal, cast.rep_a)
    assert change.changed_at == deal.stage_entered_at
    # The moved card with its new version, and both column headers swapped out of band.
    assert 'data-version="2"' in response.text
    assert f'id="column-{lead.pk}-header" hx-swap-oob="true"' in response.text
    assert f'id="column-{proposal.pk}-header" hx-swap-oob="true"' in response.text
    assert toast(response)["message"] == "Moved “Rep A's deal” to Proposal."


def test_reordering_within_a_column_places_the_card_between_its_neighbours(client, cast):
    lead = stages(cast)[0]
    first, second = (make_deal(owner=cast.rep_a, stage=lead, position=p) for p in (2048, 4096))
    mover = make_deal(owner=cast.rep_a, stage=lead, position=10_000)
    client.force_login(cast.rep_a)

    assert move(client, mover, lead, after=first).status_code == 200
    mover.refresh_from_db()
    assert first.position < mover.position < second.position
    assert not DealStageChange.objects.filter(deal=mover, from_stage__isnull=False).exists()

    # Without "after", the card goes on top of the column.
    assert move(client, mover, lead).status_code == 200
    mover.refresh_from_db()
    top = Deal.objects.filter(stage=lead, status=DealStatus.OPEN).order_by("position", "id").first()
    assert top == mover


def test_dropping_after_the_last_visible_card_keeps_the_hidden_card_order(client, cast):
    lead = stages(cast)[0]
    mine = make_deal(owner=cast.rep_a, stage=lead, position=100_000)
    hidden = make_deal(owner=cast.rep_b, stage=lead, position=200_000)  # not rep_a's
    mover = make_deal(owner=cast.rep_a, stage=lead, position=0)
    client.force_login(cast.rep_a)
    assert move(client, mover, lead, after=mine).status_code == 200
    mover.refresh_from_db()
    assert mine.position < mover.position < hidden.position == 200_000


def test_column_is_renumbered_when_two_neighbours_leave_no_room(client, cast):
    lead = stages(cast)[0]
    left = make_deal(owner=cast.rep_a, stage=lead, position=5)
    right = make_deal(owner=cast.rep_a, stage=lead, position=6)
    mover = make_deal(owner=cast.rep_a, stage=lead, position=7)
    client.force_login(cast.rep_a)
    assert move(client, mover, lead, after=left).status_code == 200
    order = list(Deal.objects.filter(stage=lead, status=DealStatus.OPEN).order_by("position", "id"))
    assert order.index(left) + 1 == order.index(mover) == order.index(right) - 1
    assert all(d.position % POSITION_STEP == 0 for d in order if d != mover)


def test_stale_version_is_refused_with_409_and_nothing_changes(client, cast):
    _, proposal, negotiation = stages(cast)
    deal = cast.deal_a
    other = Client()
    other.force_login(cast.manager_a)
    assert move(other, deal, negotiation).status_code == 200

    client.force_login(cast.rep_a)
    response = move(client, deal, proposal, version=1)
    assert response.status_code == 409
    assert "Someone else changed" in toast(response)["message"]
    assert "board:reload" in json.loads(response["HX-Trigger"])
    deal.refresh_from_db()
    assert deal.stage == negotiation and deal.version == 2
    assert DealStageChange.objects.filter(deal=deal, from_stage__isnull=False).count() == 1


def test_stage_of_another_pipeline_is_refused(client, cast):
    foreign = make_pipeline("Other").stages.first()
    client.force_login(cast.rep_a)
    response = move(client, cast.deal_a, foreign)
    assert response.status_code == 400
    assert toast(response)["message"] == "That stage does not exist in this deal's pipeline."
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.stage == stages(cast)[0] and cast.deal_a.version == 1


def test_unknown_stage_and_malformed_input_are_refused(client, cast):
    client.force_login(cast.rep_a)
    url = reverse("pipeline:deal-move", args=[cast.deal_a.pk])
    response = client.post(url, {"stage": 987654, "version": 1}, headers=HTMX)
    assert response.status_code == 400
    response = client.post(url, {"stage": "lead", "version": "one"}, headers=HTMX)
    assert response.status_code == 400
    assert "not understood" in toast(response)["message"]
    assert Deal.objects.get(pk=cast.deal_a.pk).version == 1


def test_closed_deal_cannot_be_moved(client, cast):
    won = make_deal(owner=cast.rep_a, stage=stages(cast)[0], status=DealStatus.WON, title="Done")
    client.force_login(cast.rep_a)
    response = move(client, won, stages(cast)[1])
    assert response.status_code == 400
    assert toast(response)["message"] == "“Done” is won; reopen it to move it."


def test_move_needs_post(client, cast):
    client.force_login(cast.rep_a)
    assert client.get(reverse("pipeline:deal-move", args=[cast.deal_a.pk])).status_code == 405


@pytest.mark.parametrize(("viewer", "deal", "allowed"), VISIBILITY_CASES)
def test_only_people_who_see_a_deal_can_move_it(client, cast, viewer, deal, allowed):
    client.force_login(cast.user(viewer))
    target = cast.deal(deal)
    response = move(client, target, stages(cast)[1])
    assert response.status_code == (200 if allowed else 404)
    target.refresh_from_db()
    assert (target.stage == stages(cast)[1]) == allowed


def test_without_javascript_the_move_redirects_back_with_a_message(client, cast):
    client.force_login(cast.rep_a)
    detail = reverse("pipeline:deal-detail", args=[cast.deal_a.pk])
    response = move(client, cast.deal_a, stages(cast)[2], htmx=False, next=detail)
    assert response.status_code == 302 and response["Location"] == detail
    page = client.get(detail)
    assert "Moved “Rep A&#x27;s deal” to Negotiation." in page.text
    response = move(
        client, cast.deal_a, stages(cast)[2], htmx=False, version=1, next="https://evil.example/"
    )
    assert response["Location"] == reverse("pipeline:board", args=[cast.pipeline.pk])


def test_menu_moves_ask_the_board_to_refresh_both_columns(client, cast):
    lead, proposal, _ = stages(cast)
    client.force_login(cast.rep_a)
    response = move(client, cast.deal_a, proposal, via="menu")
    assert json.loads(response["HX-Trigger"])["board:stale"] == {"stages": [lead.pk, proposal.pk]}


def test_headers_in_the_move_response_follow_the_board_filters(client, cast):
    lead, proposal, _ = stages(cast)
    make_deal(owner=cast.rep_a2, stage=proposal, value="700")
    client.force_login(cast.manager_a)
    response = move(client, cast.deal_a, proposal, scope_owner=cast.rep_a.pk)
    headers = {c.stage.pk: c.totals.count for c in response.context["columns"]}
    assert headers == {lead.pk: 0, proposal.pk: 1}  # rep_a2's deal is filtered out


def test_csrf_is_enforced_on_htmx_moves(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.rep_a)
    url = reverse("pipeline:deal-move", args=[cast.deal_a.pk])
    data = {"stage": stages(cast)[1].pk, "version": 1}
    assert client.post(url, data, headers=HTMX).status_code == 403
    board = client.get(reverse("pipeline:board", args=[cast.pipeline.pk]))
    token = board.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in board.text
    assert client.post(url, data, headers={**HTMX, "X-CSRFToken": str(token)}).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [10, 1000])
def test_move_runs_a_fixed_number_of_queries(client, cast, size, assert_max_queries):
    all_stages = stages(cast)
    make_many_deals(size - 3, owner=cast.rep_a, stages=all_stages)
    deal = Deal.objects.filter(owner=cast.rep_a, stage=all_stages[0]).order_by("position")[1]
    after = Deal.objects.filter(stage=all_stages[2]).order_by("position")[0]
    client.force_login(cast.manager_a)
    # 8, and one for the custom fields the moved card shows.
    with assert_max_queries(9):
        response = move(client, deal, all_stages[2], after=after, scope_team=cast.team_a.pk)
    assert response.status_code == 200


def test_the_moved_card_keeps_showing_its_next_activity(client, cast):
    from datetime import date

    from tests.activities.factories import make_activity

    make_activity(
        deal=cast.deal_a, type="email", subject="Send the quote", due_date=date(2099, 1, 5)
    )
    client.force_login(cast.rep_a)
    response = move(client, cast.deal_a, stages(cast)[1])
    assert 'title="Next: Send the quote"' in response.text
    assert "No next activity" not in response.text


@time_machine.travel("2026-11-27 15:00:00+00:00", tick=False)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("from_stage", [0, 1], ids=["reorder", "from-another-column"])
def test_an_invisible_after_id_is_treated_exactly_like_an_unknown_one(
    client, cast, htmx, from_stage
):
    """No oracle: where a deal the user cannot see sits must not change where their card goes."""
    lead = stages(cast)[0]
    for position in (100_000, 300_000):
        make_deal(owner=cast.rep_a, stage=lead, position=position)
    hidden = make_deal(owner=cast.rep_b, stage=lead, position=200_000)  # rep_a cannot see it
    mover = make_deal(owner=cast.rep_a, stage=stages(cast)[from_stage], position=500_000)
    unknown = Deal.objects.order_by("-pk").first().pk + 1000
    original = Deal.objects.filter(pk=mover.pk).values().get()
    client.force_login(cast.rep_a)

    def move_after(after_id):
        history = set(DealStageChange.objects.values_list("pk", flat=True))
        response = client.post(
            reverse("pipeline:deal-move", args=[mover.pk]),
            {"stage": lead.pk, "version": 1, "after": after_id},
            headers=HTMX if htmx else {},
        )
        moved = Deal.objects.filter(pk=mover.pk).values().get()
        added = list(
            DealStageChange.objects.exclude(pk__in=history).values(
                "from_stage", "to_stage", "from_status", "to_status", "changed_at"
            )
        )
        seen = (
            response.status_code,
            response.content,
            response.get("Location"),
            response.get("HX-Trigger"),
            moved,
            added,
            list(
                client.get(reverse("pipeline:board", args=[cast.pipeline.pk]))
                .context["columns"][0]
                .cards
            ),
        )
        # Undo the move, so that the next one starts from the same board.
        DealStageChange.objects.exclude(pk__in=history).delete()
        DealStageChange.objects.filter(deal=mover).update(moved_on_at=None)
        Deal.objects.filter(pk=mover.pk).update(**original)
        return seen

    assert move_after(hidden.pk) == move_after(unknown)
    # And an unknown card puts it on top of the column, as a drop without one does (the
    # cast's own deals are in that column too, wherever the factory put them).
    top = min(
        Deal.objects.filter(stage=lead, status="open")
        .exclude(pk=mover.pk)
        .values_list("position", flat=True)
    )
    assert move_after(unknown)[4]["position"] == top - POSITION_STEP

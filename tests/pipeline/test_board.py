"""The board page: columns in stage order, totals over every matching deal, filters, paging."""

from datetime import UTC
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from pipeline.models import DealStatus
from tests.activities.factories import make_activity
from tests.conftest import VISIBILITY
from tests.factories import (
    make_deal,
    make_many_deals,
    make_organization,
    make_pipeline,
    make_team,
    make_territory,
    make_user,
)


def stages(cast):
    return list(cast.pipeline.stages.order_by("order"))


def test_columns_come_in_stage_order_with_sql_totals_over_every_matching_deal(client, cast):
    _lead, proposal, _negotiation = stages(cast)
    # 30 cards in Proposal: more than the 25 the column shows at first.
    for index in range(30):
        make_deal(owner=cast.rep_a, stage=proposal, value="1000.10", title=f"P{index}")
    make_deal(owner=cast.rep_a, stage=proposal, value="99.90", status=DealStatus.WON)
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:board", args=[cast.pipeline.pk]))
    assert response.status_code == 200
    columns = response.context["columns"]
    assert [c.stage.name for c in columns] == ["Lead", "Proposal", "Negotiation"]
    proposal_column = columns[1]
    assert proposal_column.totals.count == 30
    assert proposal_column.totals.total_value == Decimal("30003.00")
    assert proposal_column.weighted_value == Decimal("15001.50")  # 50% of the stage
    assert len(proposal_column.cards) == 25 and proposal_column.has_more
    assert columns[0].totals.count == 1  # Rep A's deal from the cast
    assert "30,003" in response.text and "15,002 weighted" in response.text


@pytest.mark.parametrize("viewer", sorted(VISIBILITY))
def test_board_shows_exactly_the_cards_a_user_may_see(client, cast, viewer):
    client.force_login(cast.user(viewer))
    response = client.get(reverse("pipeline:board-default"))
    for name in ("deal_a", "deal_a2", "deal_b"):
        assert (escape(cast.deal(name).title) in response.text) == (name in VISIBILITY[viewer])
    lead = response.context["columns"][0]
    assert lead.totals.count == len(VISIBILITY[viewer])


def test_filters_combine_stay_in_the_url_and_apply_to_the_totals(client, cast):
    lead = stages(cast)[0]
    acme = make_organization("Acme")
    make_deal(owner=cast.rep_a, stage=lead, title="Acme renewal", organization=acme, value="10")
    make_deal(owner=cast.rep_a2, stage=lead, title="Globex", value="20")
    client.force_login(cast.manager_a)
    url = reverse("pipeline:board", args=[cast.pipeline.pk])

    response = client.get(url, {"owner": cast.rep_a.pk, "q": "acme"})
    lead_column = response.context["columns"][0]
    assert [d.title for d in lead_column.cards] == ["Acme renewal"]
    assert lead_column.totals.count == 1 and lead_column.totals.total_value == Decimal("10.00")
    assert f'name="scope_owner" value="{cast.rep_a.pk}"' in response.text

    # The search also matches the organization's name.
    response = client.get(url, {"q": "ACME"})
    assert [d.title for d in response.context["columns"][0].cards] == ["Acme renewal"]

    response = client.get(url, {"team": cast.team_a.pk, "owner": cast.rep_a2.pk})
    assert {d.title for d in response.context["columns"][0].cards} == {"Rep A2's deal", "Globex"}


def test_territory_filter_includes_child_territories(client, cast):
    lead = stages(cast)[0]
    north = make_territory("North")
    nordics = make_territory("Nordics", parent=north)
    nordic_rep = make_user("nordic_rep", team=make_team("Nordic team", territory=nordics))
    make_deal(owner=nordic_rep, stage=lead, title="Oslo deal")
    client.force_login(cast.admin)
    response = client.get(
        reverse("pipeline:board", args=[cast.pipeline.pk]), {"territory": north.pk}
    )
    assert [d.title for d in response.context["columns"][0].cards] == ["Oslo deal"]


def test_a_crafted_filter_for_another_team_reveals_nothing(client, cast):
    client.force_login(cast.manager_a)
    response = client.get(
        reverse("pipeline:board", args=[cast.pipeline.pk]), {"team": cast.team_b.pk}
    )
    assert "Rep B&#x27;s deal" not in response.text
    assert "Some filters were not valid" in response.text
    # Sub-requests carry the filters as scope ids; they only narrow what the user may see.
    column_url = reverse("pipeline:board-column", args=[cast.pipeline.pk, stages(cast)[0].pk])
    response = client.get(column_url, {"scope_team": cast.team_b.pk})
    assert "Rep B" not in response.text
    assert response.context["column"].totals.count == 0


def test_column_loads_more_cards_with_a_keyset_cursor(client, cast):
    proposal = stages(cast)[1]
    make_many_deals(60, owner=cast.rep_a, stages=[proposal])
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:board", args=[cast.pipeline.pk]))
    column = response.context["columns"][1]
    seen = [d.pk for d in column.cards]
    url = reverse("pipeline:board-column", args=[cast.pipeline.pk, proposal.pk])
    while column.has_more:
        last = column.cards[-1]
        response = client.get(
            url, {"after": f"{last.position}_{last.pk}"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        assert "<html" not in response.text  # only the cards fragment
        column = response.context["column"]
        seen += [d.pk for d in column.cards]
    expected = list(
        proposal.deals.filter(status=DealStatus.OPEN)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    assert seen == expected and len(seen) == 60


def test_load_more_works_without_javascript(client, cast):
    proposal = stages(cast)[1]
    make_many_deals(30, owner=cast.rep_a, stages=[proposal])
    first = proposal.deals.order_by("position", "id")[24]
    client.force_login(cast.rep_a)
    url = reverse("pipeline:board-column", args=[cast.pipeline.pk, proposal.pk])
    response = client.get(url, {"after": f"{first.position}_{first.pk}"})
    assert "<html" in response.text
    assert len(response.context["column"].cards) == 5


def test_htmx_filter_request_returns_only_the_board_fragment(client, cast):
    client.force_login(cast.rep_a)
    response = client.get(
        reverse("pipeline:board", args=[cast.pipeline.pk]),
        {"q": "Rep"},
        headers={"HX-Request": "true", "HX-Target": "board"},
    )
    assert response.text.lstrip().startswith('<div id="board"')
    assert "Rep A&#x27;s deal" in response.text


def test_board_without_pipelines_explains_what_to_do(client, db):
    client.force_login(make_user("lonely"))
    response = client.get(reverse("pipeline:board-default"))
    assert "There is no pipeline yet" in response.text


def test_empty_column_says_so(client, cast):
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:board", args=[cast.pipeline.pk]))
    assert response.text.count("No deals here") == 2


def test_unknown_pipeline_is_404(client, cast):
    client.force_login(cast.admin)
    assert client.get(reverse("pipeline:board", args=[999999])).status_code == 404


def test_other_pipelines_are_switchable_and_show_their_own_stages(client, cast):
    other = make_pipeline("Renewals", stages=(("Due", 30), ("Quoted", 70)))
    make_deal(owner=cast.rep_a, stage=other.stages.first(), title="Renewal 2027")
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:board", args=[other.pk]))
    assert [c.stage.name for c in response.context["columns"]] == ["Due", "Quoted"]
    assert "Renewal 2027" in response.text and "Rep A&#x27;s deal" not in response.text
    assert reverse("pipeline:board", args=[cast.pipeline.pk]) in response.text


def test_rotting_deals_are_marked(client, cast):
    from datetime import timedelta

    from django.utils import timezone

    lead = stages(cast)[0]  # rots after 14 days
    make_deal(
        owner=cast.rep_a,
        stage=lead,
        title="Forgotten",
        created_at=timezone.now() - timedelta(days=20),
    )
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:board", args=[cast.pipeline.pk]))
    assert response.text.count(">Rotting<") == 1
    assert "20 d in stage" in response.text


@pytest.mark.parametrize("viewer", ["rep_a", "manager_a", "admin"])
def test_board_runs_a_fixed_number_of_queries_at_10_and_1000_deals(
    client, cast, viewer, django_assert_max_num_queries
):
    all_stages = stages(cast)
    client.force_login(cast.user(viewer))
    url = reverse("pipeline:board", args=[cast.pipeline.pk])
    make_many_deals(7, owner=cast.rep_a, stages=all_stages)  # 10 deals with the cast's
    # 10, and one for the custom fields the cards show (tests/customfields/test_board_card.py).
    with django_assert_max_num_queries(11):
        small = client.get(url, {"q": "deal"})
    make_many_deals(990, owner=cast.rep_a, stages=all_stages)
    with django_assert_max_num_queries(11):
        large = client.get(url, {"q": "deal"})
    assert small.status_code == large.status_code == 200
    assert sum(c.totals.count for c in large.context["columns"]) >= 997


@time_machine.travel("2026-11-27 15:00:00+00:00", tick=False)
def test_cards_show_the_next_activity_overdue_in_red_and_mark_deals_without_one(client, cast):
    from datetime import date, datetime

    lead = stages(cast)[0]
    planned = make_deal(owner=cast.rep_a, stage=lead, title="Planned")
    late = make_deal(owner=cast.rep_a, stage=lead, title="Late")
    make_activity(
        deal=planned,
        type="meeting",
        subject="Demo",
        due_at=datetime(2026, 11, 30, 14, 30, tzinfo=UTC),
    )
    make_activity(deal=planned, type="call", subject="Later call", due_date=date(2026, 12, 15))
    make_activity(deal=late, type="call", subject="Overdue call", due_date=date(2026, 11, 25))
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:board", args=[cast.pipeline.pk]))
    cards = {deal.title: deal for deal in response.context["columns"][0].cards}

    assert cards["Planned"].next_activity.subject == "Demo"
    assert not cards["Planned"].next_activity_is_overdue
    assert cards["Late"].next_activity_is_overdue
    assert cards["Rep A's deal"].next_activity is None
    text = response.text
    assert "Mon 30 Nov, 14:30" in text and "bi-people" in text
    assert 'text-danger fw-semibold" title="Next: Overdue call"' in text
    assert "Wed 25 Nov (all day) · overdue" in text
    assert text.count("No next activity") == 1

"""Who sees which figures: a rep their own, a manager their teams', an admin everyone's;
a URL naming a team, territory or rep the viewer may not see shows no figures at all."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from reporting.queries import breakdown
from tests.reporting.conftest import scope

Q1 = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}
# Each rep won one deal in Q1, worth an amount that says whose it is.
WON = {"rep_a": Decimal("111.00"), "rep_a2": Decimal("222.00"), "rep_b": Decimal("444.00")}
SEES = {
    "rep_a": {"rep_a"},
    "rep_a2": {"rep_a2"},
    "rep_b": {"rep_b"},
    "manager_a": {"rep_a", "rep_a2"},
    "manager_b": {"rep_b"},
    "admin": {"rep_a", "rep_a2", "rep_b"},
}
pytestmark = pytest.mark.django_db


@pytest.fixture
def wins(cast, stages):
    from tests.reporting.conftest import History

    history = History(cast.admin)
    for name, value in WON.items():
        history.won(
            owner=cast.user(name),
            stage=stages["Negotiation"],
            value=str(value),
            created="2026-01-05",
            closed="2026-02-10",
        )


def csv_rows(response) -> dict[str, dict]:
    return {row["rep"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}


@pytest.mark.parametrize("viewer", list(SEES))
def test_each_viewer_sees_exactly_the_figures_of_the_deals_they_may_see(client, cast, wins, viewer):
    user = cast.user(viewer)
    expected_won = sum((WON[rep] for rep in SEES[viewer]), Decimal("0.00"))
    visible_names = {str(cast.user(rep)) for rep in SEES[viewer]}

    table = breakdown(scope(user, "2026-01-01", "2026-03-31"), by="rep")
    assert {row.name for row in table.rows} == visible_names
    assert table.total.metrics.won_value == expected_won
    # The cast's own open deals: one per rep.
    assert table.total.metrics.open_deals == len(SEES[viewer])

    client.force_login(user)
    exported = csv_rows(client.get(reverse("reporting:breakdown-csv"), Q1))
    assert set(exported) == visible_names | {"total"}
    assert Decimal(exported["total"]["won_value"]) == expected_won

    page = client.get(reverse("reporting:dashboard"), Q1).text
    for name, value in WON.items():
        shown = f"{value:,.2f}" in page
        assert shown == (name in SEES[viewer]), (viewer, name)


@pytest.mark.parametrize(
    ("viewer", "field", "target"),
    [
        ("rep_a", "team", "team_b"),
        ("rep_a", "rep", "rep_a2"),
        ("manager_a", "team", "team_b"),
        ("manager_a", "rep", "rep_b"),
        ("manager_b", "territory", "team_a"),
        ("manager_b", "rep", "rep_a"),
    ],
)
def test_a_crafted_filter_for_figures_the_viewer_may_not_see_shows_nothing(
    client, cast, wins, viewer, field, target
):
    if field == "territory":
        value = cast.user(target.replace("team", "rep")).team.territory_id
    elif field == "team":
        value = getattr(cast, target).pk
    else:
        value = cast.user(target).pk
    client.force_login(cast.user(viewer))
    page = client.get(reverse("reporting:dashboard"), {**Q1, field: value})
    assert page.status_code == 200
    assert "These filters cannot be used, so no figures are shown" in page.text
    assert 'id="tile-won_value"' not in page.text
    for amount in WON.values():
        assert f"{amount:,.2f}" not in page.text
    exported = client.get(reverse("reporting:breakdown-csv"), {**Q1, field: value})
    assert exported.status_code == 400
    assert b"444" not in exported.content and b"111" not in exported.content


def test_a_manager_may_narrow_to_their_own_team_and_rep(client, cast, wins):
    client.force_login(cast.manager_a)
    exported = csv_rows(
        client.get(reverse("reporting:breakdown-csv"), {**Q1, "rep": cast.rep_a2.pk})
    )
    assert set(exported) == {str(cast.rep_a2), "total"}
    assert Decimal(exported["total"]["won_value"]) == Decimal("222.00")


def test_a_managers_own_deal_filed_under_another_team_counts_for_both_managers(cast, stages):
    """Visibility is the deal list's: the owner sees it, and so does the manager of its team."""
    from pipeline.models import Deal
    from tests.reporting.conftest import History

    deal = History(cast.admin).won(
        owner=cast.manager_a,
        stage=stages["Lead"],
        value="55.00",
        created="2026-01-02",
        closed="2026-01-03",
    )
    Deal.objects.filter(pk=deal.pk).update(team=cast.team_b, territory=cast.team_b.territory)
    for manager in (cast.manager_a, cast.manager_b):
        table = breakdown(scope(manager, "2026-01-01", "2026-03-31"), by="rep")
        assert {row.name: row.metrics.won_value for row in table.rows}[
            str(cast.manager_a)
        ] == Decimal("55.00"), manager
    assert (
        breakdown(scope(cast.rep_b, "2026-01-01", "2026-03-31"), by="rep").total.metrics.won_value
        == 0
    )

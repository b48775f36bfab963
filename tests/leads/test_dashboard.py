"""Lead figures on the sales dashboard, worked out by hand on a small set.

Period: Q1 2026. Leads, each created and decided at its moment through the services:

| lead | owner | created | decided |
| --- | --- | --- | --- |
| L1 | rep_a | 2026-01-05 | open |
| L2 | rep_a | 2025-12-20 | qualified 2026-01-10 |
| L3 | rep_a | 2026-02-01 | disqualified 2026-02-15 |
| L4 | rep_a | 2026-03-31 23:59 | open |
| L5 | rep_a | 2026-01-02 | qualified 2026-04-01 00:00 (UTC: after Q1) |
| L6 | rep_b | 2026-02-10 | qualified 2026-03-01 |
| L7 | rep_b | 2025-11-01 | disqualified 2025-12-31 23:59:59 (before Q1) |
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from leads.services import lead_create, lead_disqualify, lead_qualify
from reporting.queries.leads import LeadFigures, lead_figures
from tests.reporting.conftest import at, scope

Q1 = ("2026-01-01", "2026-03-31")


@pytest.fixture
def q1_leads(cast, leads, time_machine):
    def lead(name, owner, created, decided=None, status=None):
        time_machine.move_to(at(created), tick=False)
        made = lead_create(title=name, source=leads.website, owner=owner, actor=owner)
        if decided:
            time_machine.move_to(at(decided), tick=False)
            if status == "qualified":
                lead_qualify(lead=made, version=1, pipeline=cast.pipeline, actor=owner)
            else:
                lead_disqualify(lead=made, version=1, reason="No budget", actor=owner)
        return made

    # The cast's own leads are decided long before: they count as neither new nor open.
    for old in (leads.lead_a, leads.lead_a2, leads.lead_b):
        lead_disqualify(lead=old, version=1, reason="Old", actor=old.owner)
    a, b = cast.rep_a, cast.rep_b
    lead("L1", a, "2026-01-05")
    lead("L2", a, "2025-12-20", "2026-01-10", "qualified")
    lead("L3", a, "2026-02-01", "2026-02-15", "disqualified")
    lead("L4", a, "2026-03-31 23:59")
    lead("L5", a, "2026-01-02", "2026-04-01 00:00", "qualified")
    lead("L6", b, "2026-02-10", "2026-03-01", "qualified")
    lead("L7", b, "2025-11-01", "2025-12-31 23:59:59", "disqualified")
    time_machine.move_to(at("2026-04-15"), tick=False)


def figures(viewer, tz="UTC", **filters) -> LeadFigures:
    return lead_figures(scope(viewer, *Q1, tz=tz, **filters))


def test_admin_sees_every_lead(cast, q1_leads):
    result = figures(cast.admin)
    # New: L1, L3, L4, L5, L6. Open now: L1, L4. Decided in Q1: L2 and L6 qualified, L3 not.
    assert result == LeadFigures(new=5, open=2, qualified=2, disqualified=1)
    assert result.conversion_rate == Decimal("0.6667")


def test_a_manager_sees_their_team_and_a_rep_their_own(cast, q1_leads):
    assert figures(cast.manager_a) == LeadFigures(new=4, open=2, qualified=1, disqualified=1)
    assert figures(cast.manager_a).conversion_rate == Decimal("0.5000")
    assert figures(cast.rep_b) == LeadFigures(new=1, open=0, qualified=1, disqualified=0)
    assert figures(cast.rep_b).conversion_rate == Decimal("1.0000")
    assert figures(cast.rep_a2) == LeadFigures(new=0, open=0, qualified=0, disqualified=0)
    assert figures(cast.rep_a2).conversion_rate is None  # nothing decided: no ratio


def test_team_territory_and_rep_filters_narrow_like_deals(cast, q1_leads):
    team_b = LeadFigures(new=1, open=0, qualified=1, disqualified=0)
    assert figures(cast.admin, team=cast.team_b) == team_b
    east = LeadFigures(new=4, open=2, qualified=1, disqualified=1)
    assert figures(cast.admin, territory=cast.team_a.territory) == east
    assert figures(cast.admin, rep=cast.rep_a) == east
    assert figures(cast.manager_a, rep=cast.rep_a2) == LeadFigures(0, 0, 0, 0)


def test_days_are_the_viewers(cast, q1_leads):
    # In New York (UTC-5 in winter, -4 from March) Q1 ends at 2026-04-01 04:00 UTC: L5's
    # qualification (00:00 UTC) falls inside it.
    result = figures(cast.admin, tz="America/New_York")
    assert result == LeadFigures(new=5, open=2, qualified=3, disqualified=1)
    assert result.conversion_rate == Decimal("0.7500")


def test_the_dashboard_shows_the_lead_tiles(client, cast, q1_leads):
    client.force_login(cast.admin)
    response = client.get(
        reverse("reporting:dashboard"), {"period": "custom", "start": Q1[0], "end": Q1[1]}
    )
    assert response.status_code == 200
    text = response.text
    assert 'id="lead-tiles"' in text
    assert "Lead-to-deal conversion" in text and "66.7 %" in text and "of 3 decided" in text
    htmx = client.get(
        reverse("reporting:dashboard"),
        {"period": "custom", "start": Q1[0], "end": Q1[1]},
        headers={"HX-Request": "true"},
    )
    assert 'id="lead-tiles"' in htmx.text and "<html" not in htmx.text

"""The report breakdown (the dashboard's scope rules) and pipelines through the API."""

import pytest

from tests.factories import make_pipeline

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("viewer", "groups"),
    [
        ("rep_a", {"rep_a", "total"}),
        ("manager_a", {"manager_a", "rep_a", "rep_a2", "total"}),
        ("manager_b", {"manager_b", "rep_b", "total"}),
        ("admin", {"manager_a", "manager_b", "rep_a", "rep_a2", "rep_b", "total"}),
    ],
)
def test_breakdown_by_rep_covers_what_the_viewer_may_see(api_as, cast, viewer, groups):
    response = api_as(viewer, scope="read").get("/api/v1/reports/breakdown", {"by": "rep"})
    assert response.status_code == 200
    rows = {row["group"]: row for row in response.json()["rows"]}
    assert set(rows) <= groups and "total" in rows
    visible_reps = {name for name in ("rep_a", "rep_a2", "rep_b") if name in groups}
    assert rows["total"]["open_deals"] == len(visible_reps)
    assert rows["total"]["open_value"] == f"{1000 * len(visible_reps)}.00"


def test_breakdown_refuses_a_team_the_viewer_may_not_see(api_as, cast):
    response = api_as("rep_a").get("/api/v1/reports/breakdown", {"team": cast.team_b.pk})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "team"


def test_breakdown_custom_period_and_bad_dates(api_as, cast):
    api = api_as("admin")
    ok = api.get(
        "/api/v1/reports/breakdown",
        {"period": "custom", "start": "2026-01-01", "end": "2026-03-31", "by": "team"},
    )
    assert ok.status_code == 200
    assert (ok.json()["start"], ok.json()["end"], ok.json()["by"]) == (
        "2026-01-01",
        "2026-03-31",
        "team",
    )
    for params in (
        {"period": "custom", "start": "9999-12-31", "end": "9999-12-31"},
        {"period": "custom", "start": "2026-03-01", "end": "2026-01-01"},
        {"period": "custom", "start": "2026-13-01", "end": "2026-01-01"},
        {"by": "planet"},
        {"period": "fortnight"},
    ):
        response = api.get("/api/v1/reports/breakdown", params)
        assert response.status_code == 422, params


def test_pipelines_list_stages_in_order(api_as, cast):
    make_pipeline("Renewals", stages=(("Due", 50), ("Signed", 90)))
    body = api_as("rep_a", scope="read").get("/api/v1/pipelines").json()
    assert [(p["name"], [s["name"] for s in p["stages"]]) for p in body] == [
        ("Renewals", ["Due", "Signed"]),
        ("Sales", ["Lead", "Proposal", "Negotiation"]),
    ]
    one = api_as("rep_b").get(f"/api/v1/pipelines/{cast.pipeline.pk}")
    assert one.status_code == 200 and one.json()["stages"][1]["win_probability"] == 50
    assert api_as("rep_b").get("/api/v1/pipelines/987654").status_code == 404

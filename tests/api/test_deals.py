"""Deals through the API: the visibility matrix, both token scopes, writes through the
pipeline services (history, webhook outbox), moves with the optimistic version."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pipeline.models import Deal, DealFieldChange, DealStageChange
from tests.api.conftest import custom_sample
from tests.conftest import VISIBILITY, VISIBILITY_CASES
from tests.factories import make_deal, make_organization, make_pipeline
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db
VIEWERS = list(VISIBILITY)


def stages(cast):
    return list(cast.pipeline.stages.order_by("order"))


# Reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["read", "write"])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_list_shows_exactly_the_deals_the_viewer_may_see(api_as, cast, viewer, scope):
    response = api_as(viewer, scope=scope).get("/api/v1/deals")
    assert response.status_code == 200
    titles = {deal["title"] for deal in response.json()["results"]}
    assert titles == {cast.deal(name).title for name in VISIBILITY[viewer]}


@pytest.mark.parametrize("scope", ["read", "write"])
@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_detail_is_404_outside_visibility(api_as, cast, viewer, deal, visible, scope):
    target = cast.deal(deal)
    response = api_as(viewer, scope=scope).get(f"/api/v1/deals/{target.pk}")
    if visible:
        assert response.status_code == 200
        body = response.json()
        assert body["title"] == target.title
        assert body["value"] == "1000.00"
        assert body["version"] == target.version
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "errors": []}


# Moving -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_move_matrix_and_history(api_as, cast, viewer, deal, visible):
    target = cast.deal(deal)
    proposal = stages(cast)[1]
    response = api_as(viewer).post(
        f"/api/v1/deals/{target.pk}/move", {"stage_id": proposal.pk, "version": target.version}
    )
    target.refresh_from_db()
    if not visible:
        assert response.status_code == 404
        assert target.stage_id != proposal.pk and target.version == 1
        return
    assert response.status_code == 200
    assert response.json()["stage_id"] == proposal.pk and response.json()["version"] == 2
    assert target.stage_id == proposal.pk
    change = DealStageChange.objects.filter(deal=target).latest("id")
    assert (change.from_stage_id, change.to_stage_id) == (stages(cast)[0].pk, proposal.pk)
    assert change.changed_by == cast.user(viewer)
    event = OutboxEvent.objects.get(name="deal.moved", object_id=target.pk)
    assert event.payload["data"]["stage"]["id"] == proposal.pk
    assert event.payload["actor"]["username"] == viewer


@pytest.mark.parametrize("viewer", VIEWERS)
def test_read_only_token_cannot_move(api_as, cast, viewer):
    deal = cast.deal(sorted(VISIBILITY[viewer])[0])
    response = api_as(viewer, scope="read").post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages(cast)[1].pk, "version": 1}
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    deal.refresh_from_db()
    assert deal.version == 1 and DealStageChange.objects.filter(deal=deal).count() == 1


def test_move_with_a_stale_version_is_409_and_changes_nothing(api_as, cast):
    api = api_as("rep_a")
    url = f"/api/v1/deals/{cast.deal_a.pk}/move"
    assert api.post(url, {"stage_id": stages(cast)[1].pk, "version": 1}).status_code == 200
    response = api.post(url, {"stage_id": stages(cast)[2].pk, "version": 1})
    assert response.status_code == 409
    assert "changed" in response.json()["detail"]
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.stage == stages(cast)[1] and cast.deal_a.version == 2


def test_move_after_a_card_lands_below_it(api_as, cast):
    first = stages(cast)[0]
    api = api_as("manager_a")
    response = api.post(
        f"/api/v1/deals/{cast.deal_a.pk}/move",
        {"stage_id": first.pk, "after_id": cast.deal_a2.pk, "version": 1},
    )
    assert response.status_code == 200
    cast.deal_a.refresh_from_db()
    cast.deal_a2.refresh_from_db()
    assert cast.deal_a.position > cast.deal_a2.position


def test_move_to_a_stage_of_another_pipeline_is_400(api_as, cast):
    other = make_pipeline("Other").stages.first()
    response = api_as("rep_a").post(
        f"/api/v1/deals/{cast.deal_a.pk}/move", {"stage_id": other.pk, "version": 1}
    )
    assert response.status_code == 400
    assert "pipeline" in response.json()["detail"]


def test_closed_deal_cannot_be_moved(api_as, cast):
    won = make_deal(owner=cast.rep_a, stage=stages(cast)[0], status="won")
    response = api_as("rep_a").post(
        f"/api/v1/deals/{won.pk}/move", {"stage_id": stages(cast)[1].pk, "version": won.version}
    )
    assert response.status_code == 400
    assert "won" in response.json()["detail"]


# Creating and changing --------------------------------------------------------------------


def test_rep_creates_a_deal_they_own_with_history_and_event(api_as, cast):
    proposal = stages(cast)[1]
    response = api_as("rep_a").post(
        "/api/v1/deals",
        {"title": "API deal", "stage_id": proposal.pk, "value": "2500.5", "currency": "EUR"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["value"] == "2500.50" and body["currency"] == "EUR"
    deal = Deal.objects.get(pk=body["id"])
    assert (deal.owner, deal.team, deal.stage) == (cast.rep_a, cast.team_a, proposal)
    assert DealStageChange.objects.get(deal=deal).changed_by == cast.rep_a
    assert OutboxEvent.objects.filter(name="deal.created", object_id=deal.pk).exists()


def test_rep_cannot_give_a_new_deal_to_someone_else(api_as, cast):
    response = api_as("rep_a").post(
        "/api/v1/deals",
        {"title": "X", "stage_id": stages(cast)[0].pk, "value": "1", "owner_id": cast.rep_b.pk},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner_id"
    assert Deal.objects.count() == 3


def test_manager_assigns_within_their_team_only(api_as, cast):
    api = api_as("manager_a")
    stage = stages(cast)[0]
    ok = api.post(
        "/api/v1/deals",
        {"title": "For A2", "stage_id": stage.pk, "value": "1", "owner_id": cast.rep_a2.pk},
    )
    assert ok.status_code == 201 and ok.json()["owner_id"] == cast.rep_a2.pk
    refused = api.post(
        "/api/v1/deals",
        {"title": "For B", "stage_id": stage.pk, "value": "1", "owner_id": cast.rep_b.pk},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "owner_id"


def test_create_refuses_an_organization_the_rep_cannot_see(api_as, cast):
    hidden = make_organization("Hidden Corp", owner=cast.rep_b)
    response = api_as("rep_a").post(
        "/api/v1/deals",
        {"title": "X", "stage_id": stages(cast)[0].pk, "value": "1", "organization_id": hidden.pk},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "organization_id"


def test_create_needs_value_or_product_and_a_real_stage(api_as, cast):
    api = api_as("rep_a")
    no_value = api.post("/api/v1/deals", {"title": "X", "stage_id": stages(cast)[0].pk})
    assert no_value.status_code == 422
    assert no_value.json()["errors"][0]["field"] == "value"
    no_stage = api.post("/api/v1/deals", {"title": "X", "stage_id": 987654321, "value": "1"})
    assert no_stage.status_code == 422
    assert no_stage.json()["errors"] == [{"field": "stage_id", "message": "No such stage."}]


def test_update_writes_field_history_and_bumps_the_version(api_as, cast):
    response = api_as("rep_a").patch(
        f"/api/v1/deals/{cast.deal_a.pk}", {"version": 1, "title": "Renamed", "value": "99"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["value"], body["version"]) == ("Renamed", "99.00", 2)
    changes = {c.field: (c.old_value, c.new_value) for c in DealFieldChange.objects.all()}
    assert changes == {"title": ("Rep A's deal", "Renamed"), "value": ("1,000.00", "99.00")}
    assert OutboxEvent.objects.filter(name="deal.updated", object_id=cast.deal_a.pk).exists()


def test_update_with_a_stale_version_is_409(api_as, cast):
    api = api_as("rep_a")
    url = f"/api/v1/deals/{cast.deal_a.pk}"
    assert api.patch(url, {"version": 1, "title": "First"}).status_code == 200
    response = api.patch(url, {"version": 1, "title": "Second"})
    assert response.status_code == 409
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.title == "First"


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_update_matrix(api_as, cast, viewer, deal, visible):
    target = cast.deal(deal)
    response = api_as(viewer).patch(f"/api/v1/deals/{target.pk}", {"version": 1, "title": "New"})
    target.refresh_from_db()
    assert response.status_code == (200 if visible else 404)
    assert (target.title == "New") is visible


def test_read_only_token_cannot_create_or_update(api_as, cast):
    api = api_as("admin", scope="read")
    created = api.post(
        "/api/v1/deals", {"title": "X", "stage_id": stages(cast)[0].pk, "value": "1"}
    )
    updated = api.patch(f"/api/v1/deals/{cast.deal_a.pk}", {"version": 1, "title": "X"})
    assert created.status_code == updated.status_code == 403
    assert Deal.objects.count() == 3
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.title == "Rep A's deal"


# Pagination and filters -------------------------------------------------------------------


def test_pages_follow_the_cursor_without_gaps_or_repeats(api_as, cast):
    for _ in range(7):
        make_deal(owner=cast.rep_a, stage=stages(cast)[0])
    api = api_as("rep_a")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/deals", params).json()
        seen += [deal["id"] for deal in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    expected = list(
        Deal.objects.filter(owner=cast.rep_a).order_by("-id").values_list("pk", flat=True)
    )
    assert seen == expected and len(seen) == 8 and pages == 3


@pytest.mark.parametrize("cursor", ["nonsense", "aWQ6eA", "aWQ6LTE", "²", "a" * 150])
def test_bad_cursor_is_400(api_as, cast, cursor):
    response = api_as("rep_a").get("/api/v1/deals", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("limit", ["0", "201", "-1", "²", "1e3", "99999999999999999999999"])
def test_limit_out_of_bounds_is_422(api_as, cast, limit):
    response = api_as("rep_a").get("/api/v1/deals", {"limit": limit})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_filters_narrow_like_the_board(api_as, cast):
    lead, proposal = stages(cast)[0], stages(cast)[1]
    moved = make_deal(owner=cast.rep_a2, stage=proposal, title="Acme renewal")
    won = make_deal(owner=cast.rep_b, stage=lead, status="won", title="Won one")
    api = api_as("admin")

    def titles(**params):
        return {d["title"] for d in api.get("/api/v1/deals", params).json()["results"]}

    assert titles(stage=proposal.pk) == {moved.title}
    assert titles(status="won") == {won.title}
    assert titles(owner=cast.rep_a2.pk) == {"Rep A2's deal", moved.title}
    assert titles(team=cast.team_b.pk) == {"Rep B's deal", won.title}
    assert titles(territory=cast.team_a.territory_id) == {
        "Rep A's deal",
        "Rep A2's deal",
        moved.title,
    }
    assert titles(q="acme") == {moved.title}
    assert titles(pipeline=make_pipeline("Empty").pk) == set()
    # Filters only narrow: a rep naming another team sees nothing more.
    assert {
        d["title"]
        for d in api_as("rep_a").get("/api/v1/deals", {"team": cast.team_b.pk}).json()["results"]
    } == set()


def test_updated_since(api_as, cast, time_machine):
    time_machine.move_to(timezone.now() + timedelta(hours=1), tick=False)
    api = api_as("rep_a")
    api.patch(f"/api/v1/deals/{cast.deal_a.pk}", {"version": 1, "title": "Touched"})
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    body = api_as("manager_a").get("/api/v1/deals", {"updated_since": since}).json()
    assert [d["title"] for d in body["results"]] == ["Touched"]


# Query counts -----------------------------------------------------------------------------


# The token, the page, the custom field definitions; a manager's teams are read first (see
# deals.filtered_deals).
@pytest.mark.parametrize(("viewer", "cap"), [("rep_a", 3), ("manager_a", 4), ("admin", 3)])
def test_list_costs_the_same_queries_at_two_sizes(
    api_as, cast, assert_max_queries, five_fields, viewer, cap
):
    api = api_as(viewer)
    api.get("/api/v1/deals")  # the token's first use is stamped once
    with assert_max_queries(cap) as small:
        assert api.get("/api/v1/deals").status_code == 200
    for _ in range(30):
        make_deal(owner=cast.rep_a, stage=stages(cast)[0], custom=custom_sample(cast.rep_a.pk))
    with assert_max_queries(cap) as large:
        body = api.get("/api/v1/deals", {"limit": 20}).json()
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(body["results"]) == 20
    assert body["results"][0]["custom"] == {
        "tier": "Gold",
        "budget": "1999.99",
        "renewal": "2027-03-31",
        "champion": cast.rep_a.pk,
        "po_number": "PO-7",
    }


# Closing and reopening --------------------------------------------------------------------


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_mark_won_matrix_with_history_and_event(api_as, cast, viewer, deal, visible):
    target = cast.deal(deal)
    response = api_as(viewer).post(f"/api/v1/deals/{target.pk}/won", {"version": 1})
    target.refresh_from_db()
    assert response.status_code == (200 if visible else 404)
    assert (target.status == "won") is visible
    if visible:
        assert response.json()["status"] == "won" and response.json()["closed_at"]
        change = DealStageChange.objects.filter(deal=target).latest("id")
        assert (change.from_status, change.to_status) == ("open", "won")
        assert OutboxEvent.objects.filter(name="deal.won", object_id=target.pk).exists()


def test_mark_lost_needs_an_offered_reason_or_words(api_as, cast):
    from pipeline.models import LostReason

    price = LostReason.objects.create(name="Price")
    retired = LostReason.objects.create(name="Old", active=False)
    api = api_as("rep_a")
    url = f"/api/v1/deals/{cast.deal_a.pk}/lost"
    nothing = api.post(url, {"version": 1})
    assert nothing.status_code == 422
    assert nothing.json()["errors"][0]["field"] == "lost_reason_text"
    inactive = api.post(url, {"version": 1, "lost_reason_id": retired.pk})
    assert inactive.status_code == 422
    assert inactive.json()["errors"][0]["field"] == "lost_reason_id"
    lost = api.post(url, {"version": 1, "lost_reason_id": price.pk, "lost_reason_text": "2x"})
    assert lost.status_code == 200
    assert (lost.json()["status"], lost.json()["lost_reason_id"]) == ("lost", price.pk)
    assert DealFieldChange.objects.get(deal=cast.deal_a).new_value == "Price: 2x"
    assert OutboxEvent.objects.filter(name="deal.lost", object_id=cast.deal_a.pk).exists()


def test_reopen_and_stale_or_wrong_state_changes(api_as, cast):
    api = api_as("rep_a")
    base = f"/api/v1/deals/{cast.deal_a.pk}"
    assert api.post(f"{base}/reopen", {"version": 1}).status_code == 400  # already open
    assert api.post(f"{base}/won", {"version": 1}).status_code == 200
    assert api.post(f"{base}/won", {"version": 2}).status_code == 400  # already won
    assert api.post(f"{base}/reopen", {"version": 1}).status_code == 409  # stale
    reopened = api.post(f"{base}/reopen", {"version": 2})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


def test_read_only_token_cannot_close_or_reopen(api_as, cast):
    api = api_as("rep_a", scope="read")
    for action in ("won", "lost", "reopen"):
        response = api.post(f"/api/v1/deals/{cast.deal_a.pk}/{action}", {"version": 1})
        assert response.status_code == 403
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.status == "open" and cast.deal_a.version == 1

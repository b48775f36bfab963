"""Live boards: the poll answers 204 until a column the user can see changes."""

import json

from django.test import Client
from django.urls import reverse

from pipeline import services
from teams.models import Role
from tests.factories import make_deal, make_user


def fingerprints(client, cast, **params):
    """What a board drawn now would send with its poll: one "stage:fingerprint" per column."""
    board = client.get(reverse("pipeline:board", args=[cast.pipeline.pk]), params)
    return [f"{c.stage.pk}:{c.totals.fingerprint}" for c in board.context["columns"]]


def poll(client, cast, fps, **scope):
    return client.get(
        reverse("pipeline:board-changes", args=[cast.pipeline.pk]),
        {"fp": fps, **scope},
        headers={"HX-Request": "true"},
    )


def stale_stages(response) -> list[int]:
    return sorted(int(s) for s in json.loads(response["HX-Trigger"])["board:stale"]["stages"])


def test_nothing_changed_answers_204(client, cast):
    client.force_login(cast.rep_a)
    assert poll(client, cast, fingerprints(client, cast)).status_code == 204


def test_a_move_by_someone_else_marks_both_columns_stale(client, cast):
    lead, proposal, _ = cast.pipeline.stages.order_by("order")
    client.force_login(cast.rep_a)
    drawn = fingerprints(client, cast)
    services.deal_move(
        deal=cast.deal_a, stage_id=proposal.pk, after_id=None, version=1, actor=cast.manager_a
    )
    response = poll(client, cast, drawn)
    assert response.status_code == 200
    assert stale_stages(response) == sorted([lead.pk, proposal.pk])


def test_changes_to_deals_the_user_cannot_see_are_ignored(client, cast):
    _, proposal, _ = cast.pipeline.stages.order_by("order")
    client.force_login(cast.rep_a)
    drawn = fingerprints(client, cast)
    services.deal_move(
        deal=cast.deal_b, stage_id=proposal.pk, after_id=None, version=1, actor=cast.rep_b
    )
    make_deal(owner=cast.rep_b, stage=proposal)
    assert poll(client, cast, drawn).status_code == 204


def test_new_closed_and_edited_deals_are_noticed(client, cast):
    lead = cast.pipeline.stages.order_by("order").first()
    client.force_login(cast.manager_a)

    drawn = fingerprints(client, cast)
    services.deal_create(title="New", owner=cast.rep_a2, stage=lead, value=1, actor=cast.rep_a2)
    assert stale_stages(poll(client, cast, drawn)) == [lead.pk]

    drawn = fingerprints(client, cast)
    services.deal_mark_won(deal=cast.deal_a, version=1, actor=cast.rep_a)
    assert stale_stages(poll(client, cast, drawn)) == [lead.pk]

    drawn = fingerprints(client, cast)
    services.deal_update(deal=cast.deal_a2, version=1, actor=cast.rep_a2, title="Renamed")
    assert stale_stages(poll(client, cast, drawn)) == [lead.pk]


def test_a_deal_reassigned_away_disappears_from_the_old_owners_board(client, cast):
    lead = cast.pipeline.stages.order_by("order").first()
    client.force_login(cast.rep_a)
    drawn = fingerprints(client, cast)
    services.deal_update(deal=cast.deal_a, version=1, actor=cast.manager_a, owner=cast.rep_a2)
    assert stale_stages(poll(client, cast, drawn)) == [lead.pk]


def test_an_edit_in_django_admin_is_noticed_too(client, cast):
    lead = cast.pipeline.stages.order_by("order").first()
    client.force_login(cast.rep_a)
    drawn = fingerprints(client, cast)
    admin = Client()
    admin.force_login(cast.admin)
    change_url = reverse("admin:pipeline_deal_change", args=[cast.deal_a.pk])
    form = admin.get(change_url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "title": "Renamed in admin",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00",
            "stage_entered_at_0": "2026-01-01",
            "stage_entered_at_1": "10:00",
            "stage_changes-TOTAL_FORMS": "0",
            "stage_changes-INITIAL_FORMS": "0",
        }
    )
    response = admin.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].errors
    assert stale_stages(poll(client, cast, drawn)) == [lead.pk]


def test_the_poll_follows_the_board_filters(client, cast):
    _, proposal, _ = cast.pipeline.stages.order_by("order")
    client.force_login(cast.manager_a)
    drawn = fingerprints(client, cast, owner=cast.rep_a.pk)
    services.deal_move(
        deal=cast.deal_a2, stage_id=proposal.pk, after_id=None, version=1, actor=cast.rep_a2
    )
    assert poll(client, cast, drawn, scope_owner=cast.rep_a.pk).status_code == 204
    assert poll(client, cast, drawn).status_code == 200


def test_poll_costs_a_fixed_number_of_queries(client, cast, django_assert_max_num_queries):
    client.force_login(make_user("boss", role=Role.ADMIN))
    drawn = fingerprints(client, cast)
    with django_assert_max_num_queries(4):
        assert poll(client, cast, drawn).status_code == 204

"""Who sees which deal: one queryset decides, and every deal URL answers 404 to outsiders."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from pipeline.models import Deal
from tests.conftest import VISIBILITY, VISIBILITY_CASES


@pytest.mark.parametrize("viewer", sorted(VISIBILITY))
def test_visible_to_returns_exactly_the_deals_a_user_may_see(cast, viewer):
    seen = set(Deal.objects.visible_to(cast.user(viewer)).values_list("title", flat=True))
    assert seen == {cast.deal(name).title for name in VISIBILITY[viewer]}


def test_inactive_user_sees_nothing(cast):
    cast.rep_a.is_active = False
    assert not Deal.objects.visible_to(cast.rep_a).exists()


def test_manager_of_several_teams_sees_all_of_them(cast):
    cast.team_b.manager = cast.manager_a
    cast.team_b.save()
    assert Deal.objects.visible_to(cast.manager_a).count() == 3


def test_deal_follows_its_team_not_its_owners_current_team(cast):
    cast.rep_b.team = cast.team_a
    cast.rep_b.save()
    assert not Deal.objects.visible_to(cast.manager_a).filter(pk=cast.deal_b.pk).exists()


@pytest.mark.parametrize(("viewer", "deal", "allowed"), VISIBILITY_CASES)
def test_deal_page_answers_404_to_whoever_may_not_see_the_deal(client, cast, viewer, deal, allowed):
    client.force_login(cast.user(viewer))
    response = client.get(reverse("pipeline:deal-detail", args=[cast.deal(deal).pk]))
    assert response.status_code == (200 if allowed else 404)
    if allowed:
        assert escape(cast.deal(deal).title) in response.text


@pytest.mark.parametrize("viewer", sorted(VISIBILITY))
def test_deal_list_shows_only_visible_deals(client, cast, viewer):
    client.force_login(cast.user(viewer))
    response = client.get(reverse("pipeline:deal-list"))
    assert response.status_code == 200
    for name in ("deal_a", "deal_a2", "deal_b"):
        assert (escape(cast.deal(name).title) in response.text) == (name in VISIBILITY[viewer])


def test_deal_pages_need_login(client, cast):
    for url in (
        reverse("pipeline:deal-list"),
        reverse("pipeline:deal-detail", args=[cast.deal_a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

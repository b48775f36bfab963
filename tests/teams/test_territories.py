"""The territory tree: one walk for the board's filter, the reports and admin's check."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pipeline.queries import FilterOptions
from teams.queries import TerritoryTree
from tests.factories import make_territory


@pytest.fixture
def world(db):
    """EMEA > Europe > (North, South); Americas on its own."""
    emea = make_territory("EMEA")
    europe = make_territory("Europe", parent=emea)
    north = make_territory("North", parent=europe)
    south = make_territory("South", parent=europe)
    americas = make_territory("Americas")
    return emea, europe, north, south, americas


def test_the_tree_walks_down_and_up(world, django_assert_num_queries):
    emea, europe, north, south, americas = world
    with django_assert_num_queries(1):
        tree = TerritoryTree.load()
    assert tree.descendants_and_self(emea.pk) == {emea.pk, europe.pk, north.pk, south.pk}
    assert tree.descendants_and_self(north.pk) == {north.pk}
    assert tree.ancestors_and_self(south.pk) == [south.pk, europe.pk, emea.pk]
    assert (tree.depth(emea.pk), tree.depth(north.pk), tree.depth(americas.pk)) == (0, 2, 0)
    assert TerritoryTree.of(list(world)) == tree


def test_the_board_filter_narrows_to_the_territory_and_those_inside_it(world):
    _emea, europe, north, south, _americas = world
    options = FilterOptions(owners=[], teams=[], territories=list(world))
    assert options.territory_with_descendants(europe.pk) == tuple(
        sorted([europe.pk, north.pk, south.pk])
    )


def test_a_territory_cannot_be_put_inside_itself_or_its_own_children(world):
    emea, _europe, north, _south, americas = world
    for parent in (emea, north):
        emea.parent = parent
        with pytest.raises(ValidationError, match="cannot be inside itself"):
            emea.full_clean()
    emea.parent = americas
    emea.full_clean()


def test_admin_refuses_a_territory_inside_its_own_child(client, world):
    from tests.factories import make_user

    emea, europe, *_ = world
    client.force_login(make_user("root", role="admin", is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:teams_territory_change", args=[emea.pk]),
        {"name": "EMEA", "parent": europe.pk},
    )
    assert response.status_code == 200
    assert "cannot be inside itself" in response.text
    emea.refresh_from_db()
    assert emea.parent is None

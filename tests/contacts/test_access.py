"""Who sees and who changes organizations and contacts: one queryset and one chokepoint each."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from contacts.access import (
    can_change_record,
    contact_for_user,
    contacts_visible_to,
    organization_for_user,
    organizations_visible_to,
)
from tests.contacts.conftest import ACCESS, ACCESS_CASES, HIDDEN, KINDS, WRITE
from tests.factories import make_deal, make_organization, make_user


def seen(queryset, records_by_kind) -> set[str]:
    ids = set(queryset.values_list("pk", flat=True))
    return {kind for kind, record in records_by_kind.items() if record.pk in ids}


@pytest.mark.parametrize("per_row", [False, True], ids=["list", "per-row"])
@pytest.mark.parametrize("viewer", sorted(ACCESS))
def test_visibility_querysets_return_exactly_what_each_user_may_see(cast, records, viewer, per_row):
    user = cast.user(viewer)
    expected = set(ACCESS[viewer])
    assert seen(organizations_visible_to(user, per_row=per_row), records.organizations) == expected
    assert seen(contacts_visible_to(user, per_row=per_row), records.contacts) == expected


@pytest.mark.parametrize(("viewer", "kind", "access"), ACCESS_CASES)
def test_access_functions_answer_404_to_outsiders_and_403_to_readers(
    cast, records, viewer, kind, access
):
    user = cast.user(viewer)
    for load, record in (
        (organization_for_user, records.organization(kind)),
        (contact_for_user, records.contact(kind)),
    ):
        if access == HIDDEN:
            with pytest.raises(Http404):
                load(user, record.pk)
            continue
        assert load(user, record.pk).pk == record.pk
        if access == WRITE:
            assert load(user, record.pk, write=True).pk == record.pk
        else:
            with pytest.raises(PermissionDenied):
                load(user, record.pk, write=True)


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "1e3", "²", str(2**63), "9" * 40, None])
def test_an_id_that_cannot_be_one_is_a_404(cast, records, raw):
    with pytest.raises(Http404):
        organization_for_user(cast.admin, raw)
    with pytest.raises(Http404):
        contact_for_user(cast.admin, raw)


def test_records_on_a_deal_are_read_only_for_its_owner(cast, records):
    shared = records.organization("shared")
    assert not can_change_record(cast.rep_a, shared)
    assert can_change_record(cast.rep_b, shared)


def test_ownerless_records_change_only_for_admins(cast, records):
    via_deal = records.contact("via_deal_b")
    assert not can_change_record(cast.rep_b, via_deal)
    assert not can_change_record(cast.manager_b, via_deal)
    assert can_change_record(cast.admin, via_deal)


def test_inactive_and_anonymous_users_see_nothing(cast, records):
    from django.contrib.auth.models import AnonymousUser

    cast.rep_a.is_active = False
    assert not organizations_visible_to(cast.rep_a).exists()
    assert not contacts_visible_to(AnonymousUser()).exists()
    assert not can_change_record(cast.rep_a, records.organization("own_a"))


def test_manager_of_two_teams_sees_the_records_of_both(cast, records):
    cast.team_b.manager = cast.manager_a
    cast.team_b.save()
    assert seen(organizations_visible_to(cast.manager_a), records.organizations) == {
        "own_a",
        "own_a2",
        "own_b",
        "own_manager_a",
        "shared",
        "via_deal_b",
    }


def test_a_new_deal_makes_its_organization_visible_to_the_deal_owner(cast, records):
    orphan = records.organization("orphan")
    assert not organizations_visible_to(cast.rep_a2).filter(pk=orphan.pk).exists()
    make_deal(owner=cast.rep_a2, stage=cast.pipeline.stages.first(), organization=orphan)
    assert organizations_visible_to(cast.rep_a2).filter(pk=orphan.pk).exists()
    assert organizations_visible_to(cast.manager_a).filter(pk=orphan.pk).exists()


def test_a_record_moving_with_its_owner_to_another_team_changes_manager(cast, records):
    cast.rep_a.team = cast.team_b
    cast.rep_a.save()
    own_a = records.organization("own_a")
    assert organizations_visible_to(cast.manager_b).filter(pk=own_a.pk).exists()
    assert not organizations_visible_to(cast.manager_a).filter(pk=own_a.pk).exists()


@pytest.mark.parametrize("viewer", ["rep_a", "manager_a"])
@pytest.mark.parametrize("per_row", [False, True], ids=["list", "per-row"])
def test_visibility_is_one_where_clause_without_joins_or_distinct(cast, viewer, per_row):
    """Subqueries on indexed columns: the records table is read once, never joined or
    de-duplicated, whatever the number of deals and records."""
    user = cast.user(viewer)
    for queryset in (
        organizations_visible_to(user, per_row=per_row),
        contacts_visible_to(user, per_row=per_row),
    ):
        with CaptureQueriesContext(connection) as captured:
            list(queryset.order_by("pk")[:50])
        (sql,) = [q["sql"].upper() for q in captured.captured_queries]
        outer = sql.split("WHERE", 1)[0]
        assert "JOIN" not in outer and "DISTINCT" not in sql
        assert '"OWNER_ID" =' in sql
        assert ("EXISTS" in sql) == per_row


def test_admin_visibility_adds_no_condition(cast):
    assert "WHERE" not in str(organizations_visible_to(cast.admin).query)


def test_every_kind_of_record_has_a_case(records):
    assert set(records.organizations) == set(KINDS)


def test_someone_outside_every_team_sees_only_their_own(cast, records):
    loner = make_user("loner")
    mine = make_organization("Loner Ltd", owner=loner)
    assert list(organizations_visible_to(loner)) == [mine]


@pytest.mark.parametrize("viewer", sorted(ACCESS))
def test_the_deal_parts_add_up_to_exactly_the_deals_the_user_may_see(cast, viewer):
    """Lists read the visible deals in parts that PostgreSQL can take from indexes; together
    they must be `Deal.objects.visible_to`, no more and no less."""
    from contacts.access import linked_deal_parts
    from pipeline.models import Deal

    user = cast.user(viewer)
    cast.team_b.manager = cast.manager_a  # a manager of two teams, too
    cast.team_b.save()
    parts = set()
    for part in linked_deal_parts(user):
        parts |= set(part.values_list("pk", flat=True))
    assert parts == set(Deal.objects.visible_to(user).values_list("pk", flat=True))

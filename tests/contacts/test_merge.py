"""Merging two organizations or two contacts: everything that points at the removed record
moves, its values fill the kept one's blanks, a history row says so, all or nothing."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from contacts import services
from contacts.models import Contact, MergeKind, MergeRecord, Organization
from pipeline.models import Deal
from teams.models import PeriodKind, Quota
from tests.contacts.conftest import ACCESS_CASES, HIDDEN, READ
from tests.factories import make_contact, make_deal, make_organization, make_user


@pytest.fixture
def pair(cast):
    """Two organizations of rep_a that are the same company, with deals and contacts."""
    stage = cast.pipeline.stages.first()
    keep = make_organization("Acme", owner=cast.rep_a, country="Chile")
    remove = make_organization("ACME Inc.", owner=cast.rep_a, sector="retail", employees=50)
    deals = [make_deal(owner=cast.rep_a, stage=stage, organization=remove) for _ in range(2)]
    contact = make_contact(organization=remove, first_name="Ada", owner=cast.rep_a)
    deals[0].contact = contact
    deals[0].save()
    return keep, remove, deals, contact


def test_merging_organizations_moves_deals_and_contacts_and_fills_blanks(cast, pair):
    keep, remove, deals, contact = pair
    versions = {deal.pk: deal.version for deal in deals}
    record = services.organization_merge(keep=keep, remove=remove, actor=cast.rep_a)

    assert not Organization.objects.filter(pk=remove.pk).exists()
    keep.refresh_from_db()
    assert (keep.name, keep.country, keep.sector, keep.employees) == ("Acme", "Chile", "retail", 50)
    for deal in Deal.objects.filter(pk__in=versions):
        assert deal.organization_id == keep.pk
        assert deal.version == versions[deal.pk] + 1  # open boards notice
    assert Contact.objects.get(pk=contact.pk).organization_id == keep.pk

    assert (record.kind, record.organization, record.contact) == (
        MergeKind.ORGANIZATION,
        keep,
        None,
    )
    assert (record.removed_id, record.removed_label, record.merged_by) == (
        remove.pk,
        "ACME Inc.",
        cast.rep_a,
    )
    assert record.removed_data["name"] == "ACME Inc." and record.removed_data["employees"] == 50
    assert set(record.filled_fields) == {"sector", "employees"}
    assert record.moved == {"pipeline.Deal.organization": 2, "contacts.Contact.organization": 1}


def test_merging_contacts_moves_their_deals(cast, pair):
    keep_org = pair[0]
    keep = make_contact(
        organization=keep_org, first_name="Ada", last_name="Lovelace", owner=cast.rep_a
    )
    remove = pair[3]
    remove.phone, remove.email = "+1 555", "ada@x.io"
    remove.save()
    record = services.contact_merge(keep=keep, remove=remove, actor=cast.rep_a)
    keep.refresh_from_db()
    assert (keep.phone, keep.email, keep.email_key) == ("+1 555", "ada@x.io", "ada@x.io")
    assert Deal.objects.get(pk=pair[2][0].pk).contact_id == keep.pk
    assert record.contact == keep and record.moved == {"pipeline.Deal.contact": 1}
    assert not Contact.objects.filter(pk=remove.pk).exists()


def test_earlier_merges_and_subsidiaries_follow_the_kept_record(cast, pair):
    keep, remove, _, _ = pair
    older = make_organization("Acme Old", owner=cast.rep_a)
    services.organization_merge(keep=remove, remove=older, actor=cast.rep_a)
    child = make_organization("Acme Child", owner=cast.rep_a, parent=remove)
    services.organization_merge(keep=keep, remove=remove, actor=cast.rep_a)
    assert Organization.objects.get(pk=child.pk).parent_id == keep.pk
    assert list(keep.merges.values_list("removed_label", flat=True)) == ["ACME Inc.", "Acme Old"]


def test_a_subsidiary_merged_with_its_parent_does_not_become_its_own_parent(cast):
    grand = make_organization("Grand", owner=cast.rep_a)
    parent = make_organization("Parent", owner=cast.rep_a, parent=grand)
    child = make_organization("Child", owner=cast.rep_a, parent=parent)
    services.organization_merge(keep=child, remove=parent, actor=cast.rep_a)
    assert Organization.objects.get(pk=child.pk).parent_id == grand.pk
    services.organization_merge(keep=grand, remove=child, actor=cast.rep_a)
    assert Organization.objects.get(pk=grand.pk).parent_id is None


def test_a_failure_half_way_rolls_the_whole_merge_back(cast, pair, monkeypatch):
    keep, remove, deals, contact = pair

    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(MergeRecord.objects, "create", fail)
    with pytest.raises(RuntimeError):
        services.organization_merge(keep=keep, remove=remove, actor=cast.rep_a)
    assert Organization.objects.filter(pk=remove.pk).exists()
    assert set(
        Deal.objects.filter(pk__in=[d.pk for d in deals]).values_list("organization", flat=True)
    ) == {remove.pk}
    assert Contact.objects.get(pk=contact.pk).organization_id == remove.pk
    keep.refresh_from_db()
    assert keep.sector == "" and not MergeRecord.objects.exists()


def test_a_record_is_not_merged_with_itself(cast, pair):
    with pytest.raises(services.MergeRefused):
        services.organization_merge(keep=pair[0], remove=pair[0], actor=cast.rep_a)


def test_a_record_deleted_meanwhile_is_refused(cast, pair):
    keep = pair[0]
    gone = make_organization("Gone", owner=cast.rep_a)
    Organization.objects.filter(pk=gone.pk).delete()
    with pytest.raises(services.MergeRefused):
        services.organization_merge(keep=keep, remove=gone, actor=cast.rep_a)


def test_repointing_is_generic_many_to_many_and_unique_rows_included(cast):
    """Models added later are covered without changing the merge: shown here on users, whose
    references include a many-to-many table and a unique constraint."""
    keep, remove = make_user("keep_me"), make_user("remove_me")
    sales = Group.objects.create(name="Sales")
    both = Group.objects.create(name="Both")
    keep.groups.add(both)
    remove.groups.add(sales, both)
    team = cast.team_a
    start = date(2030, 1, 1)
    Quota.objects.create(team=team, rep=keep, period=PeriodKind.MONTH, period_start=start, amount=1)
    Quota.objects.create(
        team=team, rep=remove, period=PeriodKind.MONTH, period_start=start, amount=2
    )
    moved = services.repoint_references(keep=keep, remove=remove)
    assert set(keep.groups.values_list("name", flat=True)) == {"Sales", "Both"}
    assert not remove.groups.exists()
    # The same month's quota already exists for keep: remove's is dropped, not duplicated.
    assert list(Quota.objects.filter(rep=keep).values_list("amount", flat=True)) == [1]
    assert moved["teams.User_groups.user"] == 1


# The pages ------------------------------------------------------------------------------


def merge_url(kind: str, record) -> str:
    return reverse(f"contacts:{kind}-merge", args=[record.pk])


@pytest.mark.parametrize("kind", ["organization", "contact"])
@pytest.mark.parametrize(("viewer", "record", "access"), ACCESS_CASES)
def test_merge_page_is_404_for_outsiders_403_for_readers(
    client, cast, records, kind, viewer, record, access
):
    target = getattr(records, kind)(record)
    client.force_login(cast.user(viewer))
    response = client.get(merge_url(kind, target))
    assert response.status_code == {HIDDEN: 404, READ: 403}.get(access, 200)


@pytest.mark.parametrize(("viewer", "record", "access"), ACCESS_CASES)
def test_merging_into_a_record_needs_the_right_to_change_it_and_changes_nothing_otherwise(
    client, cast, records, viewer, record, access
):
    target = records.organization(record)
    victim = make_organization("Victim", owner=cast.user(viewer))
    client.force_login(cast.user(viewer))
    response = client.post(merge_url("organization", target), {"remove": victim.pk})
    assert response.status_code == {HIDDEN: 404, READ: 403}.get(access, 302)
    assert Organization.objects.filter(pk=victim.pk).exists() == (access in (HIDDEN, READ))


def test_the_duplicate_must_also_be_the_users_to_change(client, cast, records):
    mine = records.organization("own_a")
    client.force_login(cast.rep_a)
    readable, hidden = records.organization("shared"), records.organization("own_b")
    assert client.post(merge_url("organization", mine), {"remove": readable.pk}).status_code == 403
    assert client.post(merge_url("organization", mine), {"remove": hidden.pk}).status_code == 404
    page = client.get(
        merge_url("organization", mine), {"other": readable.name, "other_id": readable.pk}
    )
    assert "You may see “Shared Org” but not change it." in page.text
    page = client.get(
        merge_url("organization", mine), {"other": hidden.name, "other_id": hidden.pk}
    )
    assert "No organization called" in page.text
    assert Organization.objects.filter(pk__in=[readable.pk, hidden.pk]).count() == 2


def test_pick_compare_then_merge(client, cast, pair):
    keep, remove, _, _ = pair
    client.force_login(cast.rep_a)
    page = client.get(merge_url("organization", keep)).text
    assert 'role="combobox"' in page and "Compare" in page and 'name="remove"' not in page

    page = client.get(
        merge_url("organization", keep), {"other": remove.name, "other_id": remove.pk}
    ).text
    assert "Stays: Acme" in page and "Goes: ACME Inc." in page
    assert page.count("fills the blank") == 2  # sector and employees
    assert f'<input type="hidden" name="remove" value="{remove.pk}">' in page
    assert f'href="/organizations/{remove.pk}/merge/?other=Acme&amp;other_id={keep.pk}"' in page

    response = client.post(merge_url("organization", keep), {"remove": remove.pk})
    assert response["Location"] == reverse("contacts:organization-detail", args=[keep.pk])
    page = client.get(response["Location"]).text
    assert "Merged “ACME Inc.” into “Acme”." in page
    assert 'Merged <strong class="text-break">ACME Inc.</strong> into this organization' in page
    assert Deal.objects.filter(organization=keep).count() == 2


def test_a_record_picked_as_its_own_duplicate_is_an_error(client, cast, pair):
    keep = pair[0]
    client.force_login(cast.rep_a)
    page = client.get(merge_url("organization", keep), {"other": keep.name, "other_id": keep.pk})
    assert "That is this record; pick its duplicate." in page.text
    response = client.post(merge_url("organization", keep), {"remove": keep.pk}, follow=True)
    assert "A record cannot be merged with itself." in response.text
    assert Organization.objects.filter(pk=keep.pk).exists()


@pytest.mark.parametrize("remove", ["", "abc", "-1", "99999999999999999999"])
def test_bad_input_is_a_clear_400_or_404_and_changes_nothing(client, cast, pair, remove):
    keep = pair[0]
    client.force_login(cast.rep_a)
    response = client.post(merge_url("organization", keep), {"remove": remove})
    assert response.status_code in (400, 404)
    assert Organization.objects.count() == 2


def test_contacts_merge_through_their_page(client, cast, records):
    keep, remove = (
        records.contact("own_a"),
        make_contact(
            organization=records.organization("own_a"),
            first_name="Dup",
            owner=cast.rep_a,
            phone="123",
        ),
    )
    client.force_login(cast.manager_a)  # rep_a's manager
    response = client.post(merge_url("contact", keep), {"remove": remove.pk})
    assert response.status_code == 302
    keep.refresh_from_db()
    assert keep.phone == "123" and keep.merges.get().removed_label == "Dup Doe"


@pytest.mark.parametrize("kind", ["organization", "contact"])
def test_merge_needs_get_or_post(client, cast, records, kind):
    client.force_login(cast.rep_a)
    assert client.put(merge_url(kind, getattr(records, kind)("own_a"))).status_code == 405

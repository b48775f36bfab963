"""Editing organizations and contacts: in place on the detail page with htmx, or as a page;
only the owner, their manager and admins may."""

import json

import pytest
from django.urls import reverse

from contacts.models import Contact, Organization
from tests.contacts.conftest import ACCESS_CASES, HIDDEN, READ, htmx
from tests.factories import make_organization


def edit_url(kind: str, record) -> str:
    return reverse(f"contacts:{kind}-edit", args=[record.pk])


def valid_data(kind: str, record) -> dict:
    if kind == "organization":
        return {"name": "Renamed Ltd", "country": "Peru"}
    return {
        "first_name": "Renamed",
        "last_name": record.last_name,
        "organization": record.organization.name,
        "organization_id": record.organization_id,
    }


def name_of(kind: str, record) -> str:
    model = Organization if kind == "organization" else Contact
    fresh = model.objects.get(pk=record.pk)
    return fresh.name if kind == "organization" else fresh.first_name


@pytest.mark.parametrize("kind", ["organization", "contact"])
@pytest.mark.parametrize(("viewer", "record", "access"), ACCESS_CASES)
def test_edit_is_404_for_outsiders_403_for_readers_and_saves_for_the_others(
    client, cast, records, kind, viewer, record, access
):
    target = getattr(records, kind)(record)
    before = name_of(kind, target)
    client.force_login(cast.user(viewer))
    get = client.get(edit_url(kind, target))
    post = client.post(edit_url(kind, target), valid_data(kind, target))
    if access == HIDDEN:
        assert (get.status_code, post.status_code) == (404, 404)
    elif access == READ:
        assert (get.status_code, post.status_code) == (403, 403)
    else:
        assert get.status_code == 200
        assert post.status_code == 302, post.text
        assert post["Location"] == reverse(f"contacts:{kind}-detail", args=[target.pk])
    assert (name_of(kind, target) == before) == (access in (HIDDEN, READ))


@pytest.mark.parametrize("kind", ["organization", "contact"])
def test_edit_in_place_swaps_the_form_and_then_the_saved_card(client, cast, records, kind):
    target = getattr(records, kind)("own_a")
    client.force_login(cast.rep_a)
    form = client.get(edit_url(kind, target), headers=htmx(f"{kind}-fields"))
    assert "<html" not in form.text
    assert f'<form id="{kind}-fields"' in form.text
    assert f'hx-post="{edit_url(kind, target)}"' in form.text
    saved = client.post(
        edit_url(kind, target), valid_data(kind, target), headers=htmx(f"{kind}-fields")
    )
    assert saved.status_code == 200 and "<html" not in saved.text
    assert f'<section class="card shadow-sm mb-4" id="{kind}-fields"' in saved.text
    assert "Renamed" in saved.text
    assert json.loads(saved["HX-Trigger"])["toast"]["message"].startswith("Saved “Renamed")


def test_bad_input_keeps_the_form_in_place_and_changes_nothing(client, cast, records):
    acme = records.organization("own_a")
    client.force_login(cast.rep_a)
    response = client.post(
        edit_url("organization", acme), {"name": ""}, headers=htmx("organization-fields")
    )
    assert response.status_code == 200
    assert (
        '<form id="organization-fields"' in response.text
        and "This field is required." in response.text
    )
    assert Organization.objects.get(pk=acme.pk).name == "Own A Org"


def test_an_organization_cannot_be_its_own_parent_even_through_others(client, cast, records):
    top = records.organization("own_a")
    child = make_organization("Child", owner=cast.rep_a, parent=top)
    client.force_login(cast.rep_a)
    for parent in (top, child):
        response = client.post(
            edit_url("organization", top),
            {"name": top.name, "parent": parent.name, "parent_id": parent.pk},
        )
        assert "cannot be a subsidiary of itself" in response.text
    assert Organization.objects.get(pk=top.pk).parent is None


def test_a_contact_cannot_be_moved_to_an_organization_the_user_does_not_see(client, cast, records):
    ada = records.contact("own_a")
    hidden = records.organization("own_b")
    client.force_login(cast.rep_a)
    response = client.post(
        edit_url("contact", ada),
        {
            "first_name": "Ada",
            "last_name": "X",
            "organization": hidden.name,
            "organization_id": hidden.pk,
        },
    )
    assert "No organization called" in response.text
    assert Contact.objects.get(pk=ada.pk).organization == records.organization("own_a")


def test_the_edit_form_shows_the_current_organization_by_name(client, cast, records):
    ada = records.contact("own_a")
    client.force_login(cast.rep_a)
    page = client.get(edit_url("contact", ada)).text
    assert 'value="Own A Org"' in page
    assert f'name="organization_id" id="id_organization_id" value="{ada.organization_id}"' in page


def test_only_admins_reassign_the_owner(client, cast, records):
    acme = records.organization("own_a")
    client.force_login(cast.manager_a)
    assert 'name="owner"' not in client.get(edit_url("organization", acme)).text
    client.post(edit_url("organization", acme), {"name": "Acme", "owner": cast.rep_b.pk})
    assert Organization.objects.get(pk=acme.pk).owner == cast.rep_a
    client.force_login(cast.admin)
    client.post(edit_url("organization", acme), {"name": "Acme", "owner": cast.rep_b.pk})
    assert Organization.objects.get(pk=acme.pk).owner == cast.rep_b


def test_renaming_updates_the_lookup_key(client, cast, records):
    acme = records.organization("own_a")
    client.force_login(cast.rep_a)
    client.post(edit_url("organization", acme), {"name": "Initech, LLC"})
    assert Organization.objects.get(pk=acme.pk).name_key == "initech"


@pytest.mark.parametrize("kind", ["organization", "contact"])
def test_edit_needs_get_or_post(client, cast, records, kind):
    client.force_login(cast.rep_a)
    url = edit_url(kind, getattr(records, kind)("own_a"))
    assert client.put(url).status_code == 405
    assert client.delete(url).status_code == 405

"""The deal form picks its organization and contact with typeaheads: no full lists are drawn,
and the server checks that what was chosen is something the user may see."""

import pytest
from django.urls import reverse

from pipeline.models import Deal
from tests.factories import make_contact, make_organization


def create_url(cast) -> str:
    return f"{reverse('pipeline:deal-create')}?pipeline={cast.pipeline.pk}"


def deal_data(cast, **extra) -> dict:
    return {
        "title": "New deal",
        "value": "100",
        "currency": "USD",
        "stage": cast.pipeline.stages.first().pk,
        **extra,
    }


def test_the_form_draws_typeaheads_not_lists_of_every_record(client, cast, records):
    client.force_login(cast.rep_a)
    page = client.get(create_url(cast)).text
    assert '<select name="organization"' not in page and '<select name="contact"' not in page
    assert 'role="combobox"' in page
    assert 'hx-get="/organizations/search/?field=organization&amp;create=1"' in page
    # Contacts are narrowed by the organization chosen beside them.
    assert 'hx-include="#id_organization_id"' in page
    for kind in ("own_b", "orphan", "via_deal_b"):
        assert records.organization(kind).name not in page
    assert 'id="quick-organization-dialog"' in page and 'id="quick-contact-dialog"' in page


def test_a_deal_is_saved_with_what_the_typeahead_chose(client, cast, records):
    organization, contact = records.organization("own_a"), records.contact("own_a")
    client.force_login(cast.rep_a)
    response = client.post(
        create_url(cast),
        deal_data(
            cast,
            organization=organization.name,
            organization_id=organization.pk,
            contact=str(contact),
            contact_id=contact.pk,
        ),
    )
    deal = Deal.objects.get(title="New deal")
    assert response.status_code == 302
    assert (deal.organization, deal.contact) == (organization, contact)


@pytest.mark.parametrize(
    ("organization", "contact"),
    [
        ("Own A Org", "own_a@example.com"),  # without JavaScript: exact name and e-mail
        ("own a org", "OwnA Person"),  # case aside, and the contact's full name
        ("#{org}", "{contact}"),  # or their ids
    ],
)
def test_without_javascript_names_emails_and_ids_are_read_from_the_boxes(
    client, cast, records, organization, contact
):
    org, person = records.organization("own_a"), records.contact("own_a")
    client.force_login(cast.rep_a)
    client.post(
        create_url(cast),
        deal_data(
            cast,
            organization=organization.format(org=org.pk),
            contact=contact.format(contact=person.pk),
        ),
    )
    deal = Deal.objects.get(title="New deal")
    assert (deal.organization, deal.contact) == (org, person)


@pytest.mark.parametrize("kind", ["own_b", "orphan", "via_deal_b"])
def test_a_crafted_id_of_a_hidden_record_is_refused_and_nothing_is_saved(
    client, cast, records, kind
):
    hidden = records.organization(kind)
    client.force_login(cast.rep_a)
    for data in (
        {"organization": hidden.name, "organization_id": hidden.pk},
        {"organization": str(hidden.pk)},
        {"organization": hidden.name},
    ):
        response = client.post(create_url(cast), deal_data(cast, **data))
        assert response.status_code == 200
        assert "No organization called" in response.text
    hidden_contact = records.contact(kind)
    response = client.post(
        create_url(cast),
        deal_data(cast, contact=str(hidden_contact), contact_id=hidden_contact.pk),
    )
    assert "No contact called" in response.text
    assert not Deal.objects.filter(title="New deal").exists()


def test_an_id_beside_another_name_is_not_trusted(client, cast, records):
    """The box says what the user means: a stale hidden id (they typed over the choice) loses."""
    mine, other = records.organization("own_a"), make_organization("Second", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    client.post(create_url(cast), deal_data(cast, organization="Second", organization_id=mine.pk))
    assert Deal.objects.get(title="New deal").organization == other


def test_a_name_shared_by_two_records_asks_to_pick_one(client, cast):
    make_organization("Twin", owner=cast.rep_a)
    make_organization("Twin", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.post(create_url(cast), deal_data(cast, organization="Twin"))
    assert "More than one organization is called “Twin”. Pick one from the list." in response.text
    assert not Deal.objects.filter(title="New deal").exists()


def test_a_contact_of_another_organization_is_refused(client, cast, records):
    client.force_login(cast.rep_a)
    other = make_contact(organization=make_organization(owner=cast.rep_a), owner=cast.rep_a)
    response = client.post(
        create_url(cast),
        deal_data(cast, organization="Own A Org", contact=str(other), contact_id=other.pk),
    )
    assert "works at another organization" in response.text


def test_editing_shows_the_deals_organization_and_keeps_it(client, cast, records):
    """The deal's organization is visible to whoever may change the deal (it is linked to it),
    even when they do not own it."""
    shared = records.organization("shared")
    client.force_login(cast.rep_a)
    url = reverse("pipeline:deal-edit", args=[cast.deal_a.pk])
    page = client.get(url).text
    assert 'value="Shared Org"' in page
    response = client.post(
        url,
        {
            "title": "Renamed",
            "organization": shared.name,
            "organization_id": shared.pk,
            "contact": str(records.contact("shared")),
            "contact_id": records.contact("shared").pk,
            "value": "5",
            "currency": "USD",
            "owner": cast.rep_a.pk,
            "version": 1,
        },
    )
    assert response.status_code == 302
    cast.deal_a.refresh_from_db()
    assert (cast.deal_a.title, cast.deal_a.organization) == ("Renamed", shared)


def test_clearing_the_box_removes_the_organization(client, cast, records):
    client.force_login(cast.rep_a)
    url = reverse("pipeline:deal-edit", args=[cast.deal_a.pk])
    client.post(
        url,
        {
            "title": "T",
            "organization": "",
            "organization_id": records.organization("shared").pk,
            "value": "5",
            "currency": "USD",
            "owner": cast.rep_a.pk,
            "version": 1,
        },
    )
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.organization is None


def test_the_form_renders_in_a_fixed_number_of_queries(client, cast, records, assert_max_queries):
    client.force_login(cast.rep_a)
    url = reverse("pipeline:deal-edit", args=[cast.deal_a.pk])
    with assert_max_queries(10):
        client.get(url)
    for _ in range(20):
        make_contact(organization=make_organization(owner=cast.rep_a), owner=cast.rep_a)
    with assert_max_queries(10):
        client.get(url)


def test_a_null_character_in_a_typeahead_box_is_a_form_error(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(create_url(cast), deal_data(cast, organization="Acme\x00"))
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.text
    assert not Deal.objects.filter(title="New deal").exists()

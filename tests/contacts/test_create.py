"""Creating organizations and contacts: as a page, in the list's panel, and in the deal form's
quick dialog; the duplicate warning; bad input saves nothing."""

import json

import pytest
from django.urls import reverse

from contacts.models import Contact, Organization
from tests.contacts.conftest import htmx
from tests.factories import make_contact, make_organization

ORG_URL = "/organizations/new/"
CONTACT_URL = "/contacts/new/"


def test_urls():
    assert reverse("contacts:organization-create") == ORG_URL
    assert reverse("contacts:contact-create") == CONTACT_URL


def test_without_javascript_the_form_is_a_page_and_the_creator_owns_the_record(client, cast):
    client.force_login(cast.rep_a)
    page = client.get(ORG_URL)
    assert page.status_code == 200 and "<html" in page.text and "hx-post" not in page.text
    response = client.post(ORG_URL, {"name": "  Acme  ", "country": "Chile"})
    acme = Organization.objects.get()
    assert (acme.name, acme.country, acme.owner, acme.name_key) == (
        "Acme",
        "Chile",
        cast.rep_a,
        "acme",
    )
    assert response["Location"] == reverse("contacts:organization-detail", args=[acme.pk])
    assert "Added organization “Acme”." in client.get(response["Location"]).text


def test_the_list_panel_creates_and_sends_the_browser_to_the_new_record(client, cast):
    client.force_login(cast.rep_a)
    form = client.get(ORG_URL, headers=htmx("organization-create-slot"))
    assert "<html" not in form.text and 'id="organization-create"' in form.text
    assert 'hx-post="/organizations/new/"' in form.text
    response = client.post(ORG_URL, {"name": "Acme"}, headers=htmx("organization-create"))
    acme = Organization.objects.get()
    assert response["HX-Redirect"] == reverse("contacts:organization-detail", args=[acme.pk])


def test_a_contact_needs_a_visible_organization(client, cast, records):
    client.force_login(cast.rep_a)
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@x.io"}
    hidden = records.organization("own_b")
    for organization in (
        {"organization": "", "organization_id": ""},
        {"organization": hidden.name, "organization_id": hidden.pk},
        {"organization": str(hidden.pk)},
    ):
        response = client.post(CONTACT_URL, {**data, **organization})
        assert response.status_code == 200
        assert not Contact.objects.filter(first_name="Ada").exists()
    response = client.post(
        CONTACT_URL,
        {**data, "organization": "Own A Org", "organization_id": records.organization("own_a").pk},
    )
    ada = Contact.objects.get(first_name="Ada")
    assert (ada.organization, ada.owner) == (records.organization("own_a"), cast.rep_a)
    assert response["Location"] == reverse("contacts:contact-detail", args=[ada.pk])


def test_without_javascript_an_organization_is_named_in_the_text_box(client, cast, records):
    client.force_login(cast.rep_a)
    client.post(
        CONTACT_URL,
        {"first_name": "Ada", "last_name": "L", "organization": "own a org"},  # case aside
    )
    assert Contact.objects.get(first_name="Ada").organization == records.organization("own_a")


@pytest.mark.parametrize(
    ("url", "data", "error"),
    [
        (ORG_URL, {"name": ""}, "This field is required."),
        (ORG_URL, {"name": "   "}, "This field is required."),
        (ORG_URL, {"name": "X", "employees": "-3"}, "greater than or equal to 0"),
        (ORG_URL, {"name": "X", "employees": "many"}, "Enter a whole number."),
        (ORG_URL, {"name": "X", "annual_revenue": "NaN"}, "Enter a number."),
        (ORG_URL, {"name": "X", "annual_revenue": "1e999"}, "no more than 14 digits"),
        (ORG_URL, {"name": "X", "year_established": "99999"}, "less than or equal to 9999"),
        (ORG_URL, {"name": "X" * 201}, "at most 200 characters"),
        (ORG_URL, {"name": "X", "parent": "No such parent"}, "No organization called"),
        (
            CONTACT_URL,
            {"first_name": "A", "last_name": "B", "organization": "Own A Org", "email": "nope"},
            "Enter a valid email address.",
        ),
        (
            CONTACT_URL,
            {"first_name": " ", "last_name": "B", "organization": "Own A Org"},
            "This field is required.",
        ),
    ],
)
def test_bad_input_re_renders_the_form_with_errors_and_saves_nothing(
    client, cast, records, url, data, error
):
    client.force_login(cast.rep_a)
    organizations, contacts = Organization.objects.count(), Contact.objects.count()
    for headers in ({}, htmx("organization-create")):
        response = client.post(url, data, headers=headers)
        assert response.status_code == 200
        assert error in response.text
    assert (Organization.objects.count(), Contact.objects.count()) == (organizations, contacts)


def test_only_admins_choose_the_owner(client, cast):
    client.force_login(cast.rep_a)
    assert 'name="owner"' not in client.get(ORG_URL).text
    client.post(ORG_URL, {"name": "Mine", "owner": cast.rep_b.pk})
    assert Organization.objects.get(name="Mine").owner == cast.rep_a
    client.force_login(cast.admin)
    client.post(ORG_URL, {"name": "Theirs", "owner": cast.rep_b.pk})
    assert Organization.objects.get(name="Theirs").owner == cast.rep_b


@pytest.mark.parametrize("url", [ORG_URL, CONTACT_URL])
def test_create_needs_get_or_post(client, cast, url):
    client.force_login(cast.rep_a)
    assert client.put(url).status_code == 405
    assert client.delete(url).status_code == 405


def test_next_leads_back_only_within_the_site(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(f"{ORG_URL}?next=/deals/new/", {"name": "A"})
    assert response["Location"] == "/deals/new/"
    response = client.post(f"{ORG_URL}?next=https://evil.example/", {"name": "B"})
    assert response["Location"].startswith("/organizations/")


# The deal form's quick dialog ------------------------------------------------------------


def test_the_quick_dialog_is_prefilled_with_what_was_typed(client, cast, records):
    client.force_login(cast.rep_a)
    own_a = records.organization("own_a")
    form = client.get(
        CONTACT_URL,
        {"name": "Ada Lovelace", "organization_id": own_a.pk, "organization": own_a.name},
        headers=htmx("quick-contact-body"),
    ).text
    assert 'id="quick-contact"' in form and "<html" not in form
    assert 'name="new_contact-first_name"' in form and 'value="Ada"' in form
    assert 'value="Lovelace"' in form
    assert (
        f'name="new_contact-organization_id" id="id_new_contact-organization_id" value="{own_a.pk}"'
        in form
    )
    form = client.get(CONTACT_URL, {"name": "ada@x.io"}, headers=htmx("quick-contact-body")).text
    assert 'value="ada@x.io"' in form
    form = client.get(ORG_URL, {"name": "Globex"}, headers=htmx("quick-organization-body")).text
    assert 'name="new_organization-name"' in form and 'value="Globex"' in form


def test_the_quick_dialog_hands_the_new_record_to_the_typeahead(client, cast, records):
    client.force_login(cast.rep_a)
    own_a = records.organization("own_a")
    response = client.post(
        CONTACT_URL,
        {
            "new_contact-first_name": "Ada",
            "new_contact-last_name": "Lovelace",
            "new_contact-organization": own_a.name,
            "new_contact-organization_id": own_a.pk,
        },
        headers=htmx("quick-contact"),
    )
    ada = Contact.objects.get(first_name="Ada")
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["lookup:created"] == {"kind": "contact", "id": ada.pk, "label": "Ada Lovelace"}
    assert triggers["toast"]["message"] == "Added contact “Ada Lovelace”."
    assert response.status_code == 200 and response.content == b""


def test_quick_dialog_errors_stay_in_the_dialog(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(
        ORG_URL, {"new_organization-name": ""}, headers=htmx("quick-organization")
    )
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert 'id="quick-organization"' in response.text and "This field is required." in response.text
    assert not Organization.objects.exists()


# Duplicates ------------------------------------------------------------------------------


def test_a_likely_duplicate_organization_is_shown_before_anything_is_created(client, cast):
    existing = make_organization("ACME, Inc.", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.post(ORG_URL, {"name": "Acme GmbH"})
    assert response.status_code == 200
    assert "An organization with this name already exists." in response.text
    assert f'href="/organizations/{existing.pk}/"' in response.text
    assert 'name="allow_duplicate" value="on"' in response.text
    assert Organization.objects.count() == 1

    response = client.post(ORG_URL, {"name": "Acme GmbH", "allow_duplicate": "on"})
    assert response.status_code == 302
    assert Organization.objects.filter(name_key="acme").count() == 2


def test_a_duplicate_the_user_may_not_see_is_named_only_by_its_owner(client, cast):
    hidden = make_organization("Secret Project Ltd", owner=cast.rep_b)
    client.force_login(cast.rep_a)
    response = client.post(ORG_URL, {"name": "secret project"})
    assert "One you cannot open, owned by Rep_B." in response.text
    assert f"/organizations/{hidden.pk}/" not in response.text
    assert "Secret Project Ltd" not in response.text


def test_a_contact_with_the_same_email_whatever_its_case_is_a_duplicate(client, cast, records):
    existing = make_contact(email="Ada@Example.com", owner=cast.rep_a, first_name="Ada")
    client.force_login(cast.rep_a)
    data = {
        "first_name": "A",
        "last_name": "L",
        "organization": "Own A Org",
        "email": "ada@EXAMPLE.com",
    }
    response = client.post(CONTACT_URL, data)
    assert "A contact with this e-mail address already exists." in response.text
    assert f'href="/contacts/{existing.pk}/"' in response.text
    assert Contact.objects.filter(email_key="ada@example.com").count() == 1
    client.post(CONTACT_URL, {**data, "allow_duplicate": "on"})
    assert Contact.objects.filter(email_key="ada@example.com").count() == 2


def test_contacts_without_email_are_never_duplicates_of_each_other(client, cast, records):
    make_contact(first_name="Ada", email="", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.post(
        CONTACT_URL, {"first_name": "Ada", "last_name": "L", "organization": "Own A Org"}
    )
    assert response.status_code == 302


def test_the_quick_dialog_offers_to_use_the_visible_duplicate(client, cast):
    existing = make_organization("Globex", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.post(
        ORG_URL, {"new_organization-name": "GLOBEX LLC"}, headers=htmx("quick-organization")
    )
    assert f'data-quick-create-use data-id="{existing.pk}" data-label="Globex"' in response.text
    assert 'name="new_organization-allow_duplicate" value="on"' in response.text


def test_duplicate_check_is_one_indexed_lookup(cast, django_assert_num_queries):
    from contacts.queries import contact_duplicates, organization_duplicates

    make_organization("Globex", owner=cast.rep_a)
    with django_assert_num_queries(1) as captured:
        assert organization_duplicates(name="globex inc", user=cast.rep_a)
    assert '"name_key" = ' in captured.captured_queries[0]["sql"]
    with django_assert_num_queries(1) as captured:
        assert contact_duplicates(email="nobody@x.io", user=cast.rep_a) == []
    assert '"email_key" = ' in captured.captured_queries[0]["sql"]

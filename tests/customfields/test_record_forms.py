"""Custom fields of organizations and contacts: their forms, pages, admin and merges."""

from django.urls import reverse

from contacts import services
from contacts.models import Contact, Organization
from customfields.values import values_for_api
from tests.factories import make_contact, make_organization

from .conftest import define


def org_fields():
    return {
        "segment": define(
            "organization", "segment", "choice", label="Segment", choices="SMB\nEnterprise"
        ),
        "credit": define("organization", "credit", "money", label="Credit limit", order=2),
        "account_manager": define(
            "organization", "account_manager", "user", label="Account manager", order=3
        ),
    }


def test_organization_form_saves_custom_values_and_the_page_shows_them(client, cast, db):
    org_fields()
    client.force_login(cast.rep_a)
    form = client.get("/organizations/new/").text
    assert ">Segment</label>" in form and ">Credit limit</label>" in form
    response = client.post(
        "/organizations/new/",
        {
            "name": "Acme",
            "cf_segment": "Enterprise",
            "cf_credit": "50000",
            "cf_account_manager": str(cast.rep_a.pk),
        },
    )
    acme = Organization.objects.get(name="Acme")
    assert response.status_code == 302
    assert acme.custom == {
        "segment": "Enterprise",
        "credit": 50000,
        "account_manager": cast.rep_a.pk,
    }
    page = client.get(reverse("contacts:organization-detail", args=[acme.pk])).text
    assert '>Segment</dt><dd class="col-sm-7 text-break" data-custom-field>Enterprise</dd>' in page
    assert "data-custom-field>50,000.00 USD</dd>" in page
    assert f"data-custom-field>{cast.rep_a}</dd>" in page
    assert values_for_api(acme) == {
        "segment": "Enterprise",
        "credit": "50000.00",
        "account_manager": cast.rep_a.pk,
    }


def test_organization_edit_shows_errors_and_keeps_archived_values(client, cast, db):
    fields = org_fields()
    acme = make_organization(name="Acme", owner=cast.rep_a)
    acme.custom = {"segment": "SMB", "credit": 10}
    acme.save()
    fields["credit"].archived_at = fields["credit"].created_at
    fields["credit"].save()
    client.force_login(cast.rep_a)
    edit = reverse("contacts:organization-edit", args=[acme.pk])
    bad = client.post(edit, {"name": "Acme", "cf_segment": "Huge"})
    assert bad.status_code == 200
    assert "Select a valid choice. Huge is not one of the available choices." in bad.text
    assert client.post(edit, {"name": "Acme", "cf_segment": ""}).status_code == 302
    acme.refresh_from_db()
    assert acme.custom == {"credit": 10}


def test_contact_form_and_page(client, cast, db):
    define("contact", "birthday", "date", label="Birthday")
    define("contact", "languages", "multi_choice", label="Languages", choices="English\nFrench")
    acme = make_organization(name="Acme", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.post(
        "/contacts/new/",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "organization": "Acme",
            "organization_id": acme.pk,
            "cf_birthday": "1990-12-10",
            "cf_languages": ["French", "English"],
        },
    )
    ada = Contact.objects.get(first_name="Ada")
    assert response.status_code == 302
    assert ada.custom == {"birthday": "1990-12-10", "languages": ["English", "French"]}
    page = client.get(reverse("contacts:contact-detail", args=[ada.pk])).text
    assert "data-custom-field>Dec. 10, 1990</dd>" in page
    assert "data-custom-field>English, French</dd>" in page
    edit = reverse("contacts:contact-edit", args=[ada.pk])
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "organization": "Acme",
        "organization_id": acme.pk,
        "cf_birthday": "9999-01-01",
    }
    bad = client.post(edit, data)
    assert (
        bad.status_code == 200
        and "Choose dates from 1 January 1900 to 31 December 2200." in bad.text
    )


def test_the_contact_admin_page_edits_custom_values(client, cast, db):
    define("contact", "nickname", "text", label="Nickname")
    ada = make_contact(first_name="Ada", owner=cast.rep_a)
    ada.custom = {"gone": "kept"}  # the value of a field deleted earlier
    ada.save()
    client.force_login(cast.admin)
    url = reverse("admin:contacts_contact_change", args=[ada.pk])
    assert 'name="cf_nickname"' in client.get(url).text
    response = client.post(
        url,
        {
            "organization": ada.organization_id,
            "first_name": "Ada",
            "last_name": ada.last_name,
            "cf_nickname": "=cmd",
        },
    )
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.custom == {"gone": "kept", "nickname": "=cmd"}


def test_merging_fills_the_kept_records_missing_custom_values(cast, db):
    define("organization", "segment", "text")
    define("organization", "region", "text")
    keep = make_organization(name="Acme", owner=cast.rep_a)
    remove = make_organization(name="Acme Inc", owner=cast.rep_a)
    keep.custom = {"segment": "SMB"}
    remove.custom = {"segment": "Enterprise", "region": "EU"}
    keep.save()
    remove.save()
    record = services.organization_merge(keep=keep, remove=remove, actor=cast.rep_a)
    keep.refresh_from_db()
    assert keep.custom == {"segment": "SMB", "region": "EU"}
    assert "custom.region" in record.filled_fields
    assert record.removed_data["custom"] == {"segment": "Enterprise", "region": "EU"}

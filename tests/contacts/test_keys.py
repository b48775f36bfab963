"""Lookup keys: what counts as the same name or e-mail address, kept in step on every write."""

import pytest

from contacts.keys import email_key, fold, organization_name_key
from contacts.models import Contact, Organization
from tests.factories import make_contact, make_organization


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme", "acme"),
        ("ACME, Inc.", "acme"),
        ("Acme Inc", "acme"),
        ("acme   incorporated", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme Ltd.", "acme"),
        ("The Acme Company", "acme"),
        ("Acme Holdings Co., Ltd.", "acme holdings"),
        ("Smith & Sons", "smith and sons"),
        ("Smith and Sons Ltd", "smith and sons"),
        ("Müller GmbH", "muller"),
        ("O'Neil Corp", "oneil"),
        ("Procter & Gamble Co.", "procter and gamble"),
        ("Inc", "inc"),  # a name made only of a suffix keeps it
        ("  ", ""),
    ],
)
def test_organization_names_fold_case_punctuation_spacing_and_legal_suffixes(name, key):
    assert organization_name_key(name) == key


def test_different_companies_keep_different_keys():
    assert organization_name_key("Acme Logistics") != organization_name_key("Acme Foods")


def test_email_key_ignores_case_and_spaces_only():
    assert email_key("  Ada.Lovelace+crm@Example.COM ") == "ada.lovelace+crm@example.com"


def test_fold_drops_accents_and_joins_initials():
    assert fold("  Zoë   D.   Ågren ") == "zoe d agren"


@pytest.mark.django_db
def test_keys_follow_every_write_including_bulk_create_and_admin_saves():
    organization = make_organization("Globex, Inc.")
    assert organization.name_key == "globex"
    organization.name = "Initech GmbH"
    organization.save()
    organization.refresh_from_db()
    assert organization.name_key == "initech"
    (bulk,) = Organization.objects.bulk_create([Organization(name="Umbrella LLC")])
    assert Organization.objects.get(pk=bulk.pk).name_key == "umbrella"

    contact = make_contact(first_name="Zoë", last_name="Ågren", email="Zoe@Example.com")
    contact.refresh_from_db()
    assert (contact.email_key, contact.full_name_key, contact.sort_name_key) == (
        "zoe@example.com",
        "zoe agren",
        "agren zoe",
    )
    (bulk_contact,) = Contact.objects.bulk_create(
        [Contact(organization=organization, first_name="A", last_name="B", email="X@Y.io")]
    )
    assert Contact.objects.get(pk=bulk_contact.pk).email_key == "x@y.io"

"""Custom fields in the organization and contact CSV import: columns by label or key,
cells checked like the forms check them, re-imports that change nothing."""

import pytest

from contacts.models import Contact, Organization
from tests.imports.conftest import csv_bytes, errors_of, run_import

from .conftest import define

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_fields(db):
    define("organization", "segment", "choice", label="Segment", choices="SMB\nEnterprise")
    define("organization", "credit", "money", label="Credit limit")
    define("organization", "regions", "multi_choice", label="Regions", choices="EU\nUS")
    define("organization", "renewal", "date", label="Renewal date")


def test_custom_columns_by_label_or_key_are_imported(cast, org_fields):
    job = run_import(
        "organizations",
        csv_bytes(
            "name,Segment,credit,Regions,renewal",
            'Acme,Enterprise,"1,250.50","US, EU",2027-01-31',
            "Bluth,,,,",
        ),
        actor=cast.admin,
    )
    assert (job.created_count, job.rejected_count) == (2, 0)
    assert Organization.objects.get(name="Acme").custom == {
        "segment": "Enterprise",
        "credit": 1250.5,
        "regions": ["EU", "US"],
        "renewal": "2027-01-31",
    }
    assert Organization.objects.get(name="Bluth").custom == {}


def test_bad_cells_reject_their_row_with_a_reason(cast, org_fields):
    job = run_import(
        "organizations",
        csv_bytes(
            "name,segment,credit limit,renewal date",
            "Acme,Huge,,",
            "Bluth,,lots,",
            "Cyberdyne,,,9999-01-01",
            "Dunder,SMB,10,2027-01-01",
        ),
        actor=cast.admin,
    )
    assert (job.created_count, job.rejected_count) == (1, 3)
    assert errors_of(job) == [
        (2, "segment", "is not one of the choices (SMB, Enterprise)"),
        (3, "credit limit", "enter a number"),
        (4, "renewal date", "choose dates from 1 January 1900 to 31 December 2200"),
    ]


def test_a_reimport_updates_only_what_differs_and_keeps_other_values(cast, org_fields):
    acme = Organization.objects.create(name="Acme", owner=cast.admin, custom={"other": "kept"})
    run_import("organizations", csv_bytes("name,segment", "Acme,SMB"), actor=cast.admin)
    acme.refresh_from_db()
    assert acme.custom == {"other": "kept", "segment": "SMB"}
    again = run_import("organizations", csv_bytes("name,segment", "Acme,SMB"), actor=cast.admin)
    assert (again.updated_count, again.unchanged_count) == (0, 1)


def test_contacts_take_their_custom_columns(cast):
    define("contact", "languages", "multi_choice", label="Languages", choices="EN\nFR")
    Organization.objects.create(name="Acme", owner=cast.admin)
    job = run_import(
        "contacts",
        csv_bytes("first name,last name,organization name,languages", "Ada,Lovelace,Acme,FR;EN"),
        actor=cast.admin,
    )
    assert job.created_count == 1
    assert Contact.objects.get().custom == {"languages": ["EN", "FR"]}

"""Importing contacts: matched by e-mail address, else by name at their organization;
re-imports that change nothing; every rejection with its line; the services' side effects."""

import pytest

from contacts.models import Contact
from tests.factories import make_contact, make_organization, make_user
from tests.imports.conftest import CONTACT_HEADER, csv_bytes, errors_of, run_import
from webhooks.models import Event, OutboxEvent

pytestmark = pytest.mark.django_db


def contacts(*rows: str) -> bytes:
    return csv_bytes(CONTACT_HEADER, *rows)


@pytest.fixture
def acme(db):
    return make_organization("Acme Corporation")


def test_rows_become_contacts_at_their_organizations(cast, acme):
    job = run_import(
        "contacts",
        contacts(
            "Ada,Lovelace,ada@example.com,+44 20 7946 0958,CTO,acme corp,rep_a",
            "Charles,Babbage,,,Engineer,Acme Corporation,",
        ),
        actor=cast.admin,
    )
    assert (job.created_count, job.rejected_count) == (2, 0)
    ada = Contact.objects.get(first_name="Ada")
    assert (ada.last_name, ada.email, ada.phone, ada.job_title) == (
        "Lovelace",
        "ada@example.com",
        "+44 20 7946 0958",
        "CTO",
    )
    assert (ada.organization, ada.owner, ada.email_key) == (acme, cast.rep_a, "ada@example.com")
    assert Contact.objects.get(first_name="Charles").owner == cast.admin


def test_each_new_contact_is_announced_to_webhooks_by_the_service(cast, acme):
    run_import("contacts", contacts("Ada,Lovelace,,,,Acme Corporation,"), actor=cast.admin)
    event = OutboxEvent.objects.get()
    assert event.name == Event.CONTACT_CREATED
    assert event.payload["actor"]["username"] == "admin"


def test_a_second_import_of_the_same_file_changes_nothing(cast, acme):
    data = contacts(
        "Ada,Lovelace,ada@example.com,,CTO,Acme Corporation,rep_a",
        "Charles,Babbage,,,,Acme Corporation,",
    )
    run_import("contacts", data, actor=cast.admin)
    before = list(Contact.objects.values().order_by("pk"))
    again = run_import("contacts", data, actor=cast.admin)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert list(Contact.objects.values().order_by("pk")) == before
    assert OutboxEvent.objects.count() == 2


def test_a_contact_is_matched_by_e_mail_whatever_its_case_and_organization(cast, acme):
    other = make_organization("Other")
    ada = make_contact(
        organization=other, first_name="Ada", last_name="King", email="Ada@Example.com"
    )
    job = run_import(
        "contacts",
        contacts("Ada,Lovelace,ADA@example.COM,,CTO,Acme Corporation,"),
        actor=cast.admin,
    )
    assert (job.created_count, job.updated_count) == (0, 1)
    ada.refresh_from_db()
    # The address that matched keeps its spelling; the rest follows the row.
    assert (ada.email, ada.last_name, ada.job_title, ada.organization) == (
        "Ada@Example.com",
        "Lovelace",
        "CTO",
        acme,
    )


def test_without_an_e_mail_a_contact_is_matched_by_name_within_its_organization(cast, acme):
    ada = make_contact(organization=acme, first_name="Ada", last_name="Lovelace")
    elsewhere = make_contact(
        organization=make_organization("Other"), first_name="Ada", last_name="Lovelace"
    )
    job = run_import(
        "contacts", contacts("ADA,lovelace,,555-0100,,Acme Corporation,"), actor=cast.admin
    )
    assert (job.created_count, job.updated_count) == (0, 1)
    ada.refresh_from_db()
    assert (ada.first_name, ada.phone) == ("Ada", "555-0100")
    elsewhere.refresh_from_db()
    assert elsewhere.phone == ""


def test_an_e_mail_no_contact_has_fills_in_the_namesake_without_one(cast, acme):
    ada = make_contact(organization=acme, first_name="Ada", last_name="Lovelace")
    job = run_import(
        "contacts", contacts("Ada,Lovelace,ada@example.com,,,Acme Corporation,"), actor=cast.admin
    )
    assert job.updated_count == 1
    ada.refresh_from_db()
    assert (ada.email, ada.email_key) == ("ada@example.com", "ada@example.com")


def test_a_namesake_with_another_e_mail_is_another_person(cast, acme):
    make_contact(organization=acme, first_name="Ada", last_name="Lovelace", email="a@x.com")
    job = run_import(
        "contacts", contacts("Ada,Lovelace,b@x.com,,,Acme Corporation,"), actor=cast.admin
    )
    assert job.created_count == 1
    assert Contact.objects.count() == 2


def test_every_rejection_has_its_line_and_reason_and_the_other_rows_are_kept(cast, acme):
    make_user("gone", is_active=False)
    make_organization("Twin Ltd")
    make_organization("twin")
    make_contact(organization=acme, email="dup@example.com")
    make_contact(organization=acme, email="DUP@example.com")
    data = contacts(
        "Good,One,good1@example.com,,,Acme Corporation,",  # 2
        ",Nameless,,,,Acme Corporation,",  # 3: missing first name
        "Lastless,,,,,Acme Corporation,",  # 4: missing last name
        "Bad,Mail,bob@,,,Acme Corporation,",  # 5: bad e-mail
        "No,Org,,,,,",  # 6: missing organization
        "Lost,Org,,,,Nowhere Inc,",  # 7: unknown organization
        "Twin,Org,,,,Twin,",  # 8: ambiguous organization
        "Owner,Unknown,,,,Acme Corporation,nobody",  # 9
        "Owner,Gone,,,,Acme Corporation,gone",  # 10
        "Dup,Mail,dup@example.com,,,Acme Corporation,",  # 11: two contacts have it
        "Bad,Phone,,call me,,Acme Corporation,",  # 12
        '"Tab\tbed",Name,,,,Acme Corporation,',  # 13: a control character
        "Again,One,GOOD1@example.com,,,Acme Corporation,",  # 14: repeats line 2
        "Long,Title,,," + "x" * 101 + ",Acme Corporation,",  # 15
        "Good,Two,,,,Acme Corporation,",  # 16
    )
    job = run_import("contacts", data, actor=cast.admin)
    assert (job.created_count, job.rejected_count) == (2, 13)
    assert set(Contact.objects.values_list("last_name", flat=True)) == {"One", "Two", "Doe"}
    assert errors_of(job) == [
        (3, "first name", "missing first name"),
        (4, "last name", "missing last name"),
        (5, "e-mail", "is not a valid e-mail address"),
        (6, "organization name", "missing organization"),
        (7, "organization name", "unknown organization: import it (or fix the name) first"),
        (
            8,
            "organization name",
            "2 organizations in the CRM have this name: merge them first",
        ),
        (9, "owner username", "unknown owner: no user has it"),
        (10, "owner username", "the owner is deactivated"),
        (11, "", "2 contacts have this e-mail address: merge them first"),
        (
            12,
            "phone",
            "is not a phone number (digits, spaces, + ( ) - . / and an extension)",
        ),
        (13, "first name", "holds a control character (such as a tab or NUL)"),
        (
            14,
            "",
            "repeats line 2 (the same contact: the same e-mail address, or the same name at "
            "the same organization)",
        ),
        (15, "job title", "is 101 characters long; at most 100 fit"),
    ]
    assert job.row_errors.get(line=5).value == "bob@"


def test_two_namesakes_at_one_organization_are_not_guessed_between(cast, acme):
    make_contact(organization=acme, first_name="Ada", last_name="Lovelace")
    make_contact(organization=acme, first_name="Ada", last_name="Lovelace")
    job = run_import("contacts", contacts("Ada,Lovelace,,1,,Acme Corporation,"), actor=cast.admin)
    assert errors_of(job) == [
        (2, "", "2 contacts at Acme Corporation have this name: merge them first")
    ]


@pytest.mark.parametrize("count", [5, 60])
def test_a_chunk_reads_in_a_fixed_number_of_queries(cast, acme, assert_max_queries, count):
    """Look-ups are one query per chunk, whatever its size: a re-import writes nothing and
    runs the same few queries for 5 rows as for 60."""
    rows = [f"P{n},Person,p{n}@example.com,,,Acme Corporation,rep_a" for n in range(count)]
    rows += [f"Q{n},Nomail,,,,Acme Corporation,rep_a" for n in range(count)]
    data = contacts(*rows)
    run_import("contacts", data, actor=cast.admin)
    # 12, and the custom field columns read with the header (the file is read twice).
    with assert_max_queries(14):
        again = run_import("contacts", data, actor=cast.admin)
    assert again.unchanged_count == 2 * count

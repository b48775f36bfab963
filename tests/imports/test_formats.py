"""The two formats: headers matched case-insensitively with aliases, unknown columns
reported once, a header that cannot be imported refused; how cells are read."""

from decimal import Decimal

import pytest

from contacts.models import Contact, Organization
from imports.csvfile import FileRefused
from imports.formats import (
    CONTACT_FORMAT,
    ORGANIZATION_FORMAT,
    CellRefused,
    Column,
    integer,
    map_header,
    money,
    phone,
    register_columns,
    text,
    year,
)
from imports.models import ImportJob
from imports.services import import_job_create
from tests.factories import make_organization
from tests.imports.conftest import csv_bytes, run_import, upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Name", "name"),
        ("  COMPANY NAME ", "name"),
        ("Organisation", "name"),
        ("account", "name"),
        ("Industry", "sector"),
        ("office_location", "country"),
        ("Number of employees", "employees"),
        ("year_established", "year_established"),
        ("Year-Established", "year_established"),
        ("Founded", "year_established"),
        ("Revenue", "annual_revenue"),
        ("Subsidiary Of", "parent"),
        ("Parent company", "parent"),
        ("Owner", "owner"),
        ("owner_username", "owner"),
    ],
)
def test_organization_headers_and_their_aliases(written, key):
    mapped = map_header(ORGANIZATION_FORMAT, [written])
    assert [column.key for column, _ in mapped.columns.values()] == [key]


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("First Name", "first_name"),
        ("firstname", "first_name"),
        ("Surname", "last_name"),
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("e_mail", "email"),
        ("Telephone", "phone"),
        ("Job Title", "job_title"),
        ("Title", "job_title"),
        ("Company", "organization"),
        ("Organization", "organization"),
        ("organization_name", "organization"),
        ("Owner Username", "owner"),
    ],
)
def test_contact_headers_and_their_aliases(written, key):
    mapped = map_header(CONTACT_FORMAT, [written])
    assert [column.key for column, _ in mapped.columns.values()] == [key]


def test_the_accounts_file_of_the_maven_data_set_reads_as_organizations():
    header = "account,sector,year_established,revenue,employees,office_location,subsidiary_of"
    mapped = map_header(ORGANIZATION_FORMAT, header.split(","))
    assert mapped.unknown == [] and mapped.missing == []


def test_unknown_columns_are_reported_once_and_ignored(cast):
    data = csv_bytes("name,Shoe size,,country", "Acme,42,x,US", "Beta,43,y,FR")
    job = run_import("organizations", data, actor=cast.admin)
    assert job.unknown_columns == ["Shoe size", "(column 3 has no name)"]
    assert job.created_count == 2 and job.rejected_count == 0
    assert Organization.objects.get(name="Acme").country == "US"


def test_a_file_without_a_required_column_is_refused_and_the_other_kind_suggested(cast):
    data = csv_bytes("name,sector", "Acme,tech")
    with pytest.raises(FileRefused) as refused:
        import_job_create(kind="contacts", file=upload(data), actor=cast.admin)
    message = str(refused.value)
    assert "“first name”, “last name”, “organization name”" in message
    assert "It looks like a file of organizations: choose that kind." in message
    assert not ImportJob.objects.exists()


def test_a_column_named_twice_is_refused(cast):
    data = csv_bytes("name,company,country", "Acme,Acme,US")
    with pytest.raises(FileRefused, match="“company” repeats “name”"):
        import_job_create(kind="organizations", file=upload(data), actor=cast.admin)


def test_a_header_without_rows_is_refused(cast):
    with pytest.raises(FileRefused, match="no rows"):
        import_job_create(kind="organizations", file=upload(b"name,country\n"), actor=cast.admin)


def test_an_unknown_kind_is_refused(cast):
    with pytest.raises(FileRefused, match="Unknown kind"):
        import_job_create(kind="deals", file=upload(b"name\nAcme\n"), actor=cast.admin)


@pytest.mark.parametrize(
    ("cell", "value"),
    [("1200", 1200), ("1,200", 1200), ("1 200", 1200), ("0", 0), ("+7", 7)],
)
def test_whole_numbers(cell, value):
    assert integer(0, 10_000)(cell) == value


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("12.5", "not a whole number"),
        ("1e3", "not a whole number"),
        ("١٢", "not a whole number"),
        ("12,00", "not a whole number"),
        ("-1", "out of range"),
        ("10001", "out of range"),
    ],
)
def test_whole_numbers_refused(cell, reason):
    with pytest.raises(CellRefused, match=reason):
        integer(0, 10_000)(cell)


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("1100.04", Decimal("1100.04")),
        ("1,250,000.5", Decimal("1250000.50")),
        ("0.005", Decimal("0.01")),
        (".5", Decimal("0.50")),
    ],
)
def test_money(cell, value):
    assert money(cell) == value


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("1e9", "not a number"),
        ("12,5", "not a number"),
        ("-3", "out of range"),
        ("1000000000000", "out of range"),
    ],
)
def test_money_refused(cell, reason):
    with pytest.raises(CellRefused, match=reason):
        money(cell)


def test_years_run_from_1000_to_this_year():
    assert year("1996") == 1996
    for cell in ("999", "3000", "19 96", "1996.0"):
        with pytest.raises(CellRefused):
            year(cell)


def test_text_stays_on_one_line_and_within_its_length():
    assert text(5)("  Acme ") == "Acme"
    for cell, reason in [
        ("Ac\nme", "line break"),
        ("Ac\rme", "line break"),
        ("Ac\u2028me", "line break"),
        ("Ac\tme", "control character"),
        ("Acme Corp", "at most 5"),
    ]:
        with pytest.raises(CellRefused, match=reason):
            text(5)(cell)


def test_phone_numbers():
    assert phone("+44 (20) 7946-0958 ext. 12") == "+44 (20) 7946-0958 ext. 12"
    for cell in ("call me", "+", "=1+2"):
        with pytest.raises(CellRefused, match="not a phone number"):
            phone(cell)


@pytest.fixture
def extra_column():
    """A column another app registers, taken away again after the test."""

    def provider():
        return [Column("region", "sales region", text(50), aliases=("region",))]

    register_columns("organizations", provider)
    yield
    ORGANIZATION_FORMAT.providers.remove(provider)


def test_another_app_can_add_a_column(extra_column):
    """The extension point custom fields will use: a provider of more columns."""
    mapped = map_header(ORGANIZATION_FORMAT, ["name", "Region"])
    assert mapped.unknown == []
    assert [column.header for column, _ in mapped.columns.values()] == ["name", "sales region"]


def test_a_contacts_file_does_not_create_organizations(cast):
    make_organization("Acme")
    job = run_import(
        "contacts",
        csv_bytes("first name,last name,company", "Ada,Lovelace,Acme", "Bo,Day,Beta Ltd"),
        actor=cast.admin,
    )
    assert job.created_count == 1 and job.rejected_count == 1
    assert Organization.objects.count() == 1
    assert Contact.objects.get().organization.name == "Acme"


def test_the_readme_samples_import_as_they_are(cast):
    """The two sample files of the README's "Importing data" import without a rejection."""
    from pathlib import Path

    from tests.factories import make_user

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    samples = [block.split("```", 1)[0] for block in readme.split("```csv\n")[1:]]
    assert len(samples) == 2
    make_user("rachel.green", team=cast.team_a)
    organizations = run_import("organizations", samples[0].encode(), actor=cast.admin)
    contacts = run_import("contacts", samples[1].encode(), actor=cast.admin)
    assert (organizations.created_count, organizations.rejected_count) == (2, 0)
    assert (contacts.created_count, contacts.rejected_count) == (2, 0)
    assert Organization.objects.get(name="Bluth Company").parent.name == "Acme Corporation"
    assert set(Contact.objects.values_list("organization__name", flat=True)) == {"Acme Corporation"}

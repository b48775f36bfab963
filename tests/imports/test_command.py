"""`manage.py import_crm_csv --organizations FILE --contacts FILE`: the same job, checks and
chunks as an upload; rejected rows reported as file:line; the Maven mode is unchanged."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from contacts.models import Contact, Organization
from imports.models import ImportJob
from tests.imports.conftest import CONTACT_HEADER, ORGANIZATION_HEADER, csv_bytes

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_crm_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    organizations = tmp_path / "organizations.csv"
    organizations.write_bytes(
        csv_bytes(ORGANIZATION_HEADER, "Acme,tech,US,10,1999,1.5,,", "Beta,,,,,,Acme,rep_b")
    )
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes(
        csv_bytes(
            CONTACT_HEADER + ",shoe size",
            "Ada,Lovelace,ada@example.com,,,Acme,,42",
            "Bob,Builder,bob@,,,Acme,,43",
            "Carl,Gauss,,,,Gamma,,44",
        )
    )
    return organizations, contacts


def test_organizations_then_contacts_with_the_rejected_rows_as_file_and_line(cast, files):
    organizations, contacts = files
    out, err = run("--organizations", str(organizations), "--contacts", str(contacts))
    assert "organizations:      2 created,      0 updated,      0 unchanged,      0 rejected" in out
    assert "contacts:      1 created,      0 updated,      0 unchanged,      2 rejected" in out
    assert "note: contacts.csv: ignored the column(s) 'shoe size'" in out
    assert err.splitlines() == [
        "rejected contacts.csv:3: e-mail: is not a valid e-mail address: “bob@”",
        "rejected contacts.csv:4: organization name: unknown organization: import it (or fix "
        "the name) first: “Gamma”",
    ]
    assert Organization.objects.get(name="Beta").owner == cast.rep_b
    # Without --as, records whose row names no owner have none.
    assert Contact.objects.get().owner is None
    assert ImportJob.objects.filter(uploaded_by=None, source="command").count() == 2

    out, _ = run("--organizations", str(organizations), "--contacts", str(contacts))
    assert "organizations:      0 created,      0 updated,      2 unchanged" in out
    assert "contacts:      0 created,      0 updated,      1 unchanged,      2 rejected" in out


def test_as_names_who_imports_and_owns_the_new_records(cast, files):
    organizations, _ = files
    run("--organizations", str(organizations), "--as", "manager_a")
    assert Organization.objects.get(name="Acme").owner == cast.manager_a
    assert ImportJob.objects.get().uploaded_by == cast.manager_a
    with pytest.raises(CommandError, match="No user is called 'nobody'"):
        run("--organizations", str(organizations), "--as", "nobody")


def test_a_file_that_cannot_be_imported_stops_the_command(tmp_path, cast):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name\nMüller\n".encode("latin-1"))
    with pytest.raises(CommandError, match=r"latin\.csv: The file is not UTF-8: line 2"):
        run("--organizations", str(latin))
    with pytest.raises(CommandError, match="is missing"):
        run("--contacts", str(tmp_path / "nowhere.csv"))
    assert not ImportJob.objects.exists()


def test_a_directory_and_files_do_not_mix_and_one_of_them_is_needed(tmp_path, files):
    with pytest.raises(CommandError, match="not both"):
        run(str(tmp_path), "--organizations", str(files[0]))
    with pytest.raises(CommandError, match="Give DIRECTORY"):
        run()


def test_a_failed_import_says_where_it_stopped(cast, files, monkeypatch):
    from contacts import services

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "organization_create", broken)
    with pytest.raises(CommandError, match=r"stopped after 0 of 2 rows: .*RuntimeError: disk full"):
        run("--organizations", str(files[0]))

"""Importing organizations: matching on the folded name, re-imports that change nothing,
parents anywhere in the file, and every reason a row is rejected, with its line."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import Organization
from tests.factories import make_organization, make_user
from tests.imports.conftest import ORGANIZATION_HEADER, csv_bytes, errors_of, run_import

pytestmark = pytest.mark.django_db

MAVEN_DIR = Path(
    os.environ.get(
        "MAVEN_CRM_DIR", Path(__file__).resolve().parents[3] / "shared" / "datasets" / "maven-crm"
    )
)


def organizations(*rows: str) -> bytes:
    return csv_bytes(ORGANIZATION_HEADER, *rows)


def test_rows_become_organizations_with_every_field(cast):
    job = run_import(
        "organizations",
        organizations(
            "Acme Corporation,technology,United States,2822,1996,1100.04,,rep_a",
            "Bluth Company,technology,United States,3027,1993,1242.32,Acme Corporation,",
        ),
        actor=cast.admin,
    )
    assert (job.status, job.created_count, job.rejected_count) == ("done", 2, 0)
    acme = Organization.objects.get(name="Acme Corporation")
    assert (acme.sector, acme.country, acme.employees, acme.year_established) == (
        "technology",
        "United States",
        2822,
        1996,
    )
    assert acme.annual_revenue == Decimal("1100.04")
    assert acme.owner == cast.rep_a
    bluth = Organization.objects.get(name="Bluth Company")
    assert bluth.parent == acme
    # No owner column value: whoever imports owns it (the services' rule).
    assert bluth.owner == cast.admin
    assert bluth.name_key == "bluth"


def test_a_second_import_of_the_same_file_changes_nothing(cast):
    data = organizations(
        "Acme Corporation,technology,United States,2822,1996,1100.04,,rep_a",
        "Bluth Company,technology,United States,3027,1993,1242.32,Acme Corporation,",
    )
    run_import("organizations", data, actor=cast.admin)
    before = list(Organization.objects.values().order_by("pk"))
    with CaptureQueriesContext(connection) as queries:
        again = run_import("organizations", data, actor=cast.admin)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert list(Organization.objects.values().order_by("pk")) == before
    writes = [q["sql"] for q in queries if "contacts_organization" in q["sql"].split("WHERE")[0]]
    assert not [sql for sql in writes if sql.startswith(("INSERT", "UPDATE"))]


def test_rows_match_on_the_folded_name_and_only_what_differs_is_written(cast):
    acme = make_organization("ACME Corp.", sector="tech", country="US", owner=cast.rep_a)
    job = run_import(
        "organizations",
        organizations("  acme corporation ,tech,United States,,,,,"),
        actor=cast.admin,
    )
    assert (job.created_count, job.updated_count) == (0, 1)
    acme.refresh_from_db()
    # The name is what matched: the CRM keeps its spelling. Blank cells leave values alone.
    assert (acme.name, acme.sector, acme.country, acme.owner) == (
        "ACME Corp.",
        "tech",
        "United States",
        cast.rep_a,
    )
    assert Organization.objects.count() == 1


def test_an_update_hands_the_organization_to_the_named_owner(cast):
    acme = make_organization("Acme", owner=cast.rep_a)
    job = run_import("organizations", organizations("Acme,,,,,,,REP_B"), actor=cast.admin)
    assert job.updated_count == 1
    acme.refresh_from_db()
    assert acme.owner == cast.rep_b


def test_a_parent_further_down_the_file_is_imported_first(cast):
    job = run_import(
        "organizations",
        organizations(
            "Cheers,entertainment,,,,,Massive Dynamic,",
            "Sub of cheers,,,,,,Cheers,",
            "Massive Dynamic,entertainment,,,,,,",
        ),
        actor=cast.admin,
    )
    assert (job.created_count, job.rejected_count) == (3, 0)
    assert Organization.objects.get(name="Cheers").parent.name == "Massive Dynamic"
    assert Organization.objects.get(name="Sub of cheers").parent.name == "Cheers"


def test_a_parent_already_in_the_crm_is_found_by_its_folded_name(cast):
    parent = make_organization("Massive Dynamic Inc.")
    run_import("organizations", organizations("Cheers,,,,,,massive dynamic,"), actor=cast.admin)
    assert Organization.objects.get(name="Cheers").parent == parent


def test_every_rejection_has_its_line_and_reason_and_the_other_rows_are_kept(cast):
    make_user("gone", is_active=False)
    make_organization("Twin Ltd")
    make_organization("twin")
    data = organizations(
        "Good One,,,,,,,",  # 2
        ",tech,US,,,,,",  # 3: missing name
        "Big,,,12.5,,,,",  # 4: not a whole number
        "Bigger,,,3000000000,,,,",  # 5: out of range
        "Future,,,,2999,,,",  # 6: year out of range
        "Rich,,,,,-5,,",  # 7: negative revenue
        "Owned,,,,,,,nobody",  # 8: unknown owner
        "Retired,,,,,,,gone",  # 9: deactivated owner
        "Orphan,,,,,,Nowhere Corp,",  # 10: unknown parent
        "Self,,,,,,Self Inc,",  # 11: its own parent
        "Twin,,,,,,,",  # 12: ambiguous in the CRM
        "good one GmbH,,,,,,,",  # 13: repeats line 2
        '"Line\nBreak",,,,,,,',  # 14-15: a line break in the name
        "Too,many,cells,1,1999,1,,,extra",  # 16
        "!!!,,,,,,,",  # 17: no letters
        "Child,,,,,,Big,",  # 18: its parent's row was rejected
        "Good Two,,,,,,,",  # 19
    )
    job = run_import("organizations", data, actor=cast.admin)
    assert (job.created_count, job.rejected_count, job.total_rows) == (2, 15, 17)
    assert set(Organization.objects.values_list("name", flat=True)) == {
        "Good One",
        "Good Two",
        "Twin Ltd",
        "twin",
    }
    errors = errors_of(job)
    assert errors == [
        (3, "name", "missing name"),
        (4, "employees", "is not a whole number"),
        (5, "employees", "is out of range: it must be from 0 to 2,147,483,647"),
        (6, "year established", f"is out of range: a year from 1000 to {timezone.now().year}"),
        (7, "annual revenue", "is out of range: it must be from 0 to 999,999,999,999.99"),
        (8, "owner username", "unknown owner: no user has it"),
        (9, "owner username", "the owner is deactivated"),
        (10, "parent", "unknown parent organization: not in the CRM nor in this file"),
        (11, "parent", "an organization cannot be its own parent"),
        (12, "name", "2 organizations in the CRM have this name: merge them first"),
        (
            13,
            "name",
            "repeats line 2 (the same organization once case, accents, punctuation and legal "
            "suffixes are set aside)",
        ),
        (14, "name", "holds a line break (CR or LF); names and values fit on one line"),
        (
            16,
            "",
            "has 9 cells but the header names 8 columns (a separator too many, or a value "
            "with a comma that is not quoted?)",
        ),
        (17, "name", "is not a name"),
        (18, "parent", "unknown parent organization: its row (line 4) was rejected"),
    ]
    assert job.row_errors.get(line=14).value == "Line\\nBreak"


def test_a_row_with_several_problems_reports_each(cast):
    job = run_import("organizations", organizations("Acme,,,lots,3000,abc,,nobody"))
    assert [(line, column) for line, column, _ in errors_of(job)] == [
        (2, "employees"),
        (2, "year established"),
        (2, "annual revenue"),
        (2, "owner username"),
    ]
    assert job.rejected_count == 1


def test_parents_that_lead_back_to_each_other_are_refused(cast):
    job = run_import(
        "organizations",
        organizations("Alpha,,,,,,Beta,", "Beta,,,,,,Alpha,", "Gamma,,,,,,,"),
        actor=cast.admin,
    )
    assert [(line, reason) for line, _, reason in errors_of(job)] == [
        (2, "its parents in this file lead back to it: a loop"),
        (3, "its parents in this file lead back to it: a loop"),
    ]
    assert job.created_count == 1


def test_a_parent_that_would_close_a_loop_in_the_crm_is_refused(cast):
    alpha = make_organization("Alpha")
    make_organization("Beta", parent=alpha)
    job = run_import("organizations", organizations("Alpha,,,,,,Beta,"), actor=cast.admin)
    assert errors_of(job) == [(2, "parent", "is a subsidiary of Alpha: that would be a loop")]
    alpha.refresh_from_db()
    assert alpha.parent is None


def test_without_an_actor_new_organizations_have_no_owner(cast):
    run_import("organizations", organizations("Acme,,,,,,,"), actor=None)
    assert Organization.objects.get().owner is None


@pytest.mark.skipif(
    not (MAVEN_DIR / "accounts.csv").is_file(), reason=f"no Maven data set at {MAVEN_DIR}"
)
def test_the_maven_accounts_file_imports_as_organizations_with_their_parents(cast):
    data = (MAVEN_DIR / "accounts.csv").read_bytes()
    job = run_import("organizations", data, actor=cast.admin)
    assert (job.created_count, job.rejected_count, job.unknown_columns) == (85, 0, [])
    assert Organization.objects.filter(parent__isnull=False).count() == 15
    assert Organization.objects.get(name="Cheers").parent.name == "Massive Dynamic"
    again = run_import("organizations", data, actor=cast.admin)
    assert again.unchanged_count == 85


def test_the_report_shows_invisible_characters_as_escapes(cast):
    job = run_import("organizations", organizations("Evil\u202etxt.exe,,,x\u0007,,,,"))
    assert job.row_errors.get().value == "x\\x07"
    from imports.records import shown

    assert shown("Evil\u202etxt\r\n") == "Evil\\u202etxt\\r\\n"

"""An admin imports a CSV file in headless Chromium: the upload, the progress bar htmx polls
while a worker imports the file chunk by chunk, then the summary and the error report.

The task is sent to the tests' in-memory broker, where no worker listens; the test plays the
worker, in its own thread and database connection, one chunk at a time, so the page is seen
following real progress. Screenshots go to test-artifacts/.
"""

import re
from pathlib import Path

import pytest

from contacts.models import Organization
from imports.models import ImportJob, ImportStatus
from imports.services import import_job_process
from tests.e2e.conftest import screenshot
from tests.imports.conftest import ORGANIZATION_HEADER, csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = [
    f"Company {n:02},software,United States,{100 + n},{1990 + n},{n}.5,,rep_a" for n in range(20)
]
BAD = [
    "Broken Numbers,software,US,lots,1999,1.5,,",
    ",software,US,10,1999,1.5,,",
    "Future Inc,software,US,10,2999,1.5,,",
    "Unowned,software,US,10,1999,1.5,,nobody",
    'Formula Ltd,software,US,"=HYPERLINK(""http://evil.example"")",1999,1.5,,nobody',
]


def progress_is(page, percent: int) -> None:
    page.wait_for_function(
        f"() => document.querySelector('.import-progress')?.getAttribute('aria-valuenow') "
        f"=== '{percent}'"
    )


def test_admin_uploads_a_csv_and_follows_the_import_to_its_error_report(
    new_page, cast, file_storage, tmp_path, settings
):
    settings.IMPORT_CHUNK_ROWS = 10
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_bytes(ORGANIZATION_HEADER, *GOOD[:10], *BAD, *GOOD[10:]))

    page = new_page(cast.admin)
    page.goto("/pipeline/")
    page.get_by_role("button", name=re.compile("Admin")).last.click()
    page.get_by_role("link", name="Imports").click()
    page.wait_for_url("**/imports/")
    screenshot(page, "imports-upload-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "imports-upload-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label("Organizations").check()
    page.get_by_label("CSV file", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    page.get_by_text("waiting for a worker").wait_for()
    job = ImportJob.objects.get()
    assert (job.status, job.total_rows, job.uploaded_by) == (ImportStatus.QUEUED, 25, cast.admin)

    # The worker's first task runs out of time after one chunk and queues the rest.
    assert import_job_process(job_id=job.pk, time_budget=0) == ImportStatus.QUEUED
    progress_is(page, 40)
    assert page.locator("#import-processed").inner_text() == "10"
    assert page.locator("#import-status[hx-trigger]").count() == 1  # still polling
    screenshot(page, "imports-job-running-1280")

    assert import_job_process(job_id=job.pk) == ImportStatus.DONE
    progress_is(page, 100)
    report = page.locator("#import-errors")
    report.wait_for()
    assert page.locator("#import-status[hx-trigger]").count() == 0  # polling stopped
    assert page.locator("#import-created").inner_text() == "20"
    assert page.locator("#import-rejected").inner_text() == "5"
    rows = report.locator("tbody tr")
    lines = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert lines == ["12", "13", "14", "15", "16", "16"]
    assert "is not a whole number" in rows.nth(0).inner_text()
    assert "missing name" in rows.nth(1).inner_text()
    assert "unknown owner" in rows.nth(3).inner_text()
    assert Organization.objects.count() == 20
    screenshot(page, "imports-job-errors-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "imports-job-errors-390")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert content.startswith("line,column,value,reason\n12,employees,lots,")
    assert "'=HYPERLINK" in content

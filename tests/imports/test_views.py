"""The import pages: admins only (everyone else 404), methods, bad uploads refused with
nothing stored, the progress partial htmx polls, the paged error report, its CSV download,
resuming, query counts and the Content-Security-Policy."""

import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from contacts.models import Contact, Organization
from imports.models import ImportJob, ImportRowError, ImportStatus
from tests.activities.helpers import HTMX, is_fragment, toast_message
from tests.factories import make_organization
from tests.imports.conftest import CONTACT_HEADER, csv_bytes, upload
from tests.test_csp import inline_code

pytestmark = pytest.mark.django_db

CAST = ["rep_a", "rep_a2", "rep_b", "manager_a", "manager_b", "admin"]
ORGANIZATIONS = csv_bytes("name,country", "Acme,US", "Beta,FR")


def make_job(uploaded_by=None, *, status=ImportStatus.DONE, errors=0, total=10, **fields):
    """A job as the task leaves it, with `errors` rows in its report."""
    job = ImportJob(
        kind="contacts",
        original_name="people.csv",
        size=100,
        uploaded_by=uploaded_by,
        status=status,
        total_rows=total,
        processed_rows=total if status == ImportStatus.DONE else total // 2,
        rejected_count=errors,
        **fields,
    )
    job.file.save("people.csv", ContentFile(b"first name\n"), save=False)
    job.save()
    ImportRowError.objects.bulk_create(
        ImportRowError(job=job, line=n + 2, column="e-mail", value=f"x{n}@", reason="bad")
        for n in range(errors)
    )
    return job


@pytest.fixture
def job(cast):
    return make_job(cast.admin, status=ImportStatus.FAILED, errors=3, error="boom")


def urls(job):
    return {
        "list": ("GET", reverse("imports:import-list")),
        "upload": ("POST", reverse("imports:import-list")),
        "detail": ("GET", reverse("imports:import-detail", args=[job.pk])),
        "progress": ("GET", reverse("imports:import-progress", args=[job.pk])),
        "errors-csv": ("GET", reverse("imports:import-errors-csv", args=[job.pk])),
        "resume": ("POST", reverse("imports:import-resume", args=[job.pk])),
    }


def state():
    return (
        list(ImportJob.objects.values_list("pk", "status").order_by("pk")),
        Organization.objects.count(),
    )


@pytest.mark.parametrize("viewer", CAST)
@pytest.mark.parametrize("name", ["list", "upload", "detail", "progress", "errors-csv", "resume"])
def test_only_admins_reach_the_import_pages(client, cast, job, viewer, name):
    method, url = urls(job)[name]
    client.force_login(cast.user(viewer))
    before = state()
    if method == "GET":
        response = client.get(url, headers=HTMX if name == "progress" else {})
    else:
        data = {"kind": "organizations", "file": upload(ORGANIZATIONS)}
        response = client.post(url, data if name == "upload" else {})
    if viewer == "admin":
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 404
        assert state() == before


def test_the_user_menu_links_to_imports_for_admins_only(client, cast):
    url = reverse("imports:import-list")
    for viewer in CAST:
        client.force_login(cast.user(viewer))
        page = client.get(reverse("profile")).text
        assert (url in page) == (viewer == "admin"), viewer


def test_anonymous_visitors_are_sent_to_log_in(client, job):
    response = client.get(reverse("imports:import-list"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("put", "list"),
        ("delete", "list"),
        ("post", "detail"),
        ("post", "progress"),
        ("post", "errors-csv"),
        ("get", "resume"),
    ],
)
def test_wrong_methods_are_405(client, cast, job, method, name):
    client.force_login(cast.admin)
    _, url = urls(job)[name]
    assert getattr(client, method)(url).status_code == 405


@pytest.mark.parametrize("raw", ["0", "99999999999999999999999", "12345678901234567890"])
def test_malformed_or_huge_ids_are_404(client, cast, raw):
    client.force_login(cast.admin)
    for suffix in ("", "progress/", "errors.csv", "resume/"):
        response = client.post(f"/imports/{raw}/{suffix}") if suffix == "resume/" else None
        response = response or client.get(f"/imports/{raw}/{suffix}", headers=HTMX)
        assert response.status_code == 404, suffix


def test_an_upload_is_stored_queued_and_imported_by_the_task(
    client, cast, media, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:import-list"),
            {"kind": "organizations", "file": upload(ORGANIZATIONS, "Accounts 2026.csv")},
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:import-detail", args=[job.pk])
    assert (job.status, job.created_count, job.uploaded_by) == ("done", 2, cast.admin)
    assert job.original_name == "Accounts 2026.csv"
    assert (media / job.file.name).read_bytes() == ORGANIZATIONS
    assert set(Organization.objects.values_list("name", flat=True)) == {"Acme", "Beta"}


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"kind": "organizations"}, "This field is required."),
        ({"kind": "deals", "file": ORGANIZATIONS}, "Select a valid choice."),
        ({"file": ORGANIZATIONS}, "This field is required."),
        ({"kind": "organizations", "file": b"%PDF-1.4\n%\xe2\xe3"}, "a PDF document, not a CSV"),
        ({"kind": "organizations", "file": b"\x00\x01\x02binary"}, "binary data"),
        ({"kind": "organizations", "file": "name\nMüller\n".encode("cp1252")}, "not UTF-8"),
        ({"kind": "organizations", "file": b""}, "The submitted file is empty."),
        ({"kind": "contacts", "file": ORGANIZATIONS}, "It looks like a file of organizations"),
        ({"kind": "organizations", "file": b"name\n"}, "no rows below it"),
    ],
)
def test_a_bad_upload_is_refused_on_the_form_and_nothing_is_stored(client, cast, media, data, says):
    client.force_login(cast.admin)
    if "file" in data:
        data = {**data, "file": upload(data["file"])}
    response = client.post(reverse("imports:import-list"), data)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_a_file_over_the_size_limit_is_refused(client, cast, media, settings):
    settings.IMPORT_MAX_BYTES = 10
    client.force_login(cast.admin)
    response = client.post(
        reverse("imports:import-list"), {"kind": "organizations", "file": upload(ORGANIZATIONS)}
    )
    assert response.status_code == 400
    assert "an import may be at most 10\xa0bytes" in response.text
    assert not ImportJob.objects.exists()


def test_the_list_shows_past_imports_newest_first_with_older_ones_by_keyset(client, cast):
    jobs = []
    for n in range(27):
        job = make_job(cast.admin)
        ImportJob.objects.filter(pk=job.pk).update(original_name=f"file-{n}.csv")
        jobs.append(job)
    client.force_login(cast.admin)
    page = client.get(reverse("imports:import-list")).text
    assert "file-26.csv" in page and "file-2.csv" in page and "file-1.csv" not in page
    older = client.get(reverse("imports:import-list") + f"?before={jobs[2].pk}", headers=HTMX)
    assert is_fragment(older)
    assert "file-1.csv" in older.text and "file-0.csv" in older.text
    assert "file-2.csv" not in older.text


def test_the_page_of_a_running_job_polls_its_progress(client, cast):
    job = make_job(cast.admin, status=ImportStatus.RUNNING, total=200)
    client.force_login(cast.admin)
    page = client.get(reverse("imports:import-detail", args=[job.pk])).text
    progress_url = reverse("imports:import-progress", args=[job.pk])
    assert f'hx-get="{progress_url}" hx-trigger="every 1s"' in page
    assert 'data-css-vars="--filled: 50%"' in page and ">100</span> of 200 rows" in page
    assert "Rejected rows" not in page


def test_the_progress_partial_answers_htmx_and_sends_others_to_the_page(client, cast):
    job = make_job(cast.admin, status=ImportStatus.RUNNING, total=4)
    client.force_login(cast.admin)
    url = reverse("imports:import-progress", args=[job.pk])
    plain = client.get(url)
    assert plain.status_code == 302
    assert plain["Location"] == reverse("imports:import-detail", args=[job.pk])
    polled = client.get(url, headers=HTMX)
    assert is_fragment(polled)
    assert polled.text.lstrip().startswith('<section id="import-status"')
    assert 'hx-trigger="every 1s"' in polled.text


def test_polling_stops_when_the_job_is_done_and_the_report_takes_its_place(client, cast):
    job = make_job(cast.admin, status=ImportStatus.DONE, errors=2, total=4)
    client.force_login(cast.admin)
    polled = client.get(reverse("imports:import-progress", args=[job.pk]), headers=HTMX)
    assert "hx-trigger" not in polled.text
    assert 'data-css-vars="--filled: 100%"' in polled.text
    assert "Rejected rows" in polled.text and "x1@" in polled.text
    assert reverse("imports:import-errors-csv", args=[job.pk]) in polled.text


def test_the_error_report_pages_by_keyset(client, cast):
    job = make_job(cast.admin, errors=120, total=200)
    client.force_login(cast.admin)
    url = reverse("imports:import-detail", args=[job.pk])
    page = client.get(url).text
    assert page.count("<tr>") == 1 + 50  # the head and 50 errors, then "Show more"
    assert page.count('<tr id="errors-more">') == 1
    fiftieth = ImportRowError.objects.get(job=job, line=51)
    cursor = f"51-{fiftieth.pk}"
    assert f'hx-get="{url}?after={cursor}"' in page
    more = client.get(f"{url}?after={cursor}", headers=HTMX)
    assert is_fragment(more)
    assert ">52<" in more.text and ">101<" in more.text and ">51<" not in more.text
    plain = client.get(f"{url}?after={cursor}")
    assert "<nav" in plain.text and ">52<" in plain.text


@pytest.mark.parametrize("cursor", ["x", "5", "5-", "-5", "5-0", "²-1", "1-99999999999999999999"])
def test_a_bad_page_cursor_is_400(client, cast, job, cursor):
    client.force_login(cast.admin)
    response = client.get(reverse("imports:import-detail", args=[job.pk]), {"after": cursor})
    assert response.status_code == 400


def test_the_error_report_downloads_as_csv_with_formulas_neutralised(client, cast):
    job = make_job(cast.admin, total=3)
    ImportRowError.objects.create(
        job=job, line=3, column="name", value='=HYPERLINK("http://x")', reason="bad"
    )
    ImportRowError.objects.create(job=job, line=2, column="", value="", reason="+ too many cells")
    client.force_login(cast.admin)
    response = client.get(reverse("imports:import-errors-csv", args=[job.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["line", "column", "value", "reason"],
        ["2", "", "", "'+ too many cells"],
        ["3", "name", '\'=HYPERLINK("http://x")', "bad"],
    ]


def test_resuming_a_failed_import_finishes_it(
    client, cast, eager_celery, django_capture_on_commit_callbacks
):
    make_organization("Acme")
    data = csv_bytes(CONTACT_HEADER, "Ada,Lovelace,,,,Acme,")
    client.force_login(cast.admin)
    from imports.services import import_job_create

    job = import_job_create(kind="contacts", file=upload(data), actor=cast.admin, queue=False)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, error="boom")
    url = reverse("imports:import-resume", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, headers=HTMX)
    assert is_fragment(response)
    assert toast_message(response) == "Resumed: the import goes on where it stopped."
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE
    assert Contact.objects.count() == 1
    again = client.post(url)
    assert again.status_code == 302
    messages = [str(m) for m in again.wsgi_request._messages]
    assert messages == ["Only a failed import can be resumed."]


def test_a_failed_import_says_why_and_offers_to_resume(client, cast, job):
    client.force_login(cast.admin)
    page = client.get(reverse("imports:import-detail", args=[job.pk])).text
    assert "The import stopped" in page and "boom" in page
    assert reverse("imports:import-resume", args=[job.pk]) in page


def test_unknown_columns_are_shown_once_on_the_page(client, cast):
    job = make_job(cast.admin, unknown_columns=["Shoe size"])
    client.force_login(cast.admin)
    page = client.get(reverse("imports:import-detail", args=[job.pk])).text
    assert page.count("Shoe size") == 1


@pytest.mark.parametrize("errors", [3, 150])
def test_the_job_page_runs_a_fixed_number_of_queries(client, cast, assert_max_queries, errors):
    job = make_job(cast.admin, errors=errors, total=200)
    client.force_login(cast.admin)
    url = reverse("imports:import-detail", args=[job.pk])
    # Session, user, job, a page of errors, the notification bell.
    with assert_max_queries(5):
        assert client.get(url).status_code == 200
    with assert_max_queries(4):
        assert client.get(reverse("imports:import-progress", args=[job.pk]), headers=HTMX)
    with assert_max_queries(4):
        assert client.get(reverse("imports:import-errors-csv", args=[job.pk])).status_code == 200


@pytest.mark.parametrize("count", [2, 40])
def test_the_list_runs_a_fixed_number_of_queries(client, cast, assert_max_queries, count):
    for _ in range(count):
        make_job(cast.admin)
    client.force_login(cast.admin)
    # Session, user, a page of jobs with their uploaders, the notification bell, and the
    # custom field columns of each format (listed with the built-in ones).
    with assert_max_queries(6):
        assert client.get(reverse("imports:import-list")).status_code == 200


def test_the_pages_hold_no_inline_code(client, cast):
    running = make_job(cast.admin, status=ImportStatus.RUNNING)
    failed = make_job(cast.admin, status=ImportStatus.FAILED, errors=60, error="boom")
    client.force_login(cast.admin)
    for url, headers in [
        (reverse("imports:import-list"), {}),
        (reverse("imports:import-detail", args=[running.pk]), {}),
        (reverse("imports:import-detail", args=[failed.pk]), {}),
        (reverse("imports:import-progress", args=[running.pk]), HTMX),
        (reverse("imports:import-progress", args=[failed.pk]), HTMX),
    ]:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        assert inline_code(response.text) == [], url
    bad = client.post(reverse("imports:import-list"), {"kind": "contacts"})
    assert inline_code(bad.text) == []


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0 s"), (12.4, "12 s"), (185, "3 min 5 s"), (3720, "1 h 2 min")]
)
def test_the_run_time_reads_as_people_say_it(seconds, text):
    from datetime import timedelta

    from imports.templatetags.import_tags import duration

    assert duration(timedelta(seconds=seconds)) == text
    assert duration(None) == ""


def test_the_pages_say_who_started_each_import(client, cast):
    from imports.models import ImportSource

    by_page = make_job(cast.manager_a)
    by_command = make_job(None, source=ImportSource.COMMAND)
    by_command_as = make_job(cast.admin, source=ImportSource.COMMAND)
    by_someone_gone = make_job(None)
    assert by_page.uploader_label == str(cast.manager_a)
    assert by_command.uploader_label == "manage.py"
    assert by_command_as.uploader_label == f"manage.py as {cast.admin}"
    assert by_someone_gone.uploader_label == "a deleted user"
    client.force_login(cast.admin)
    page = client.get(reverse("imports:import-detail", args=[by_command_as.pk])).text
    assert f"Uploaded by manage.py as {cast.admin}" in page

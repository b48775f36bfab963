"""The import job and its task: chunks committed one by one with the progress, a claim that
only one worker wins, a crash that keeps what committed and resumes where it stopped, a
time budget that hands the rest to a new task, and the dispatcher that picks up jobs a dead
worker left behind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts import services as contact_services
from contacts.models import Contact
from imports import services
from imports.models import ImportJob, ImportStatus
from imports.records import ContactImporter
from imports.services import (
    import_job_claim,
    import_job_create,
    import_job_process,
    import_job_resume,
    imports_dispatch,
)
from imports.tasks import dispatch_imports, process_import
from tests.factories import make_organization
from tests.imports.conftest import CONTACT_HEADER, csv_bytes, upload

pytestmark = pytest.mark.django_db

FIVE_CONTACTS = csv_bytes(
    CONTACT_HEADER,
    "Ada,Lovelace,ada@example.com,,,Acme,",  # line 2
    "Charles,Babbage,,,,Acme,",  # 3
    "Bad,Mail,bob@,,,Acme,",  # 4 (rejected)
    "Grace,Hopper,grace@example.com,,,Acme,",  # 5
    "Alan,Turing,,,,Acme,",  # 6
)


@pytest.fixture
def small_chunks(settings):
    settings.IMPORT_CHUNK_ROWS = 2


@pytest.fixture
def job(cast) -> ImportJob:
    make_organization("Acme")
    return import_job_create(
        kind="contacts", file=upload(FIVE_CONTACTS), actor=cast.admin, queue=False
    )


def reload(job: ImportJob) -> ImportJob:
    return ImportJob.objects.get(pk=job.pk)


def test_the_tasks_are_reliable():
    for task in (process_import, dispatch_imports):
        assert task.acks_late and task.reject_on_worker_lost


def test_a_new_job_knows_its_rows_and_waits_for_a_worker(job):
    assert (job.status, job.total_rows, job.processed_rows, job.percent) == ("queued", 5, 0, 0)
    assert job.file.read() == FIVE_CONTACTS
    assert job.file.name.startswith("imports/") and job.original_name == "people.csv"


def test_each_chunk_commits_with_the_progress(job, small_chunks, monkeypatch):
    seen = []
    apply = ContactImporter.apply

    def spy(self, rows, **kwargs):
        # What a page polling now reads: the progress committed by the chunks before.
        seen.append((len(rows), reload(job).processed_rows))
        return apply(self, rows, **kwargs)

    monkeypatch.setattr(ContactImporter, "apply", spy)
    assert import_job_process(job_id=job.pk) == ImportStatus.DONE
    assert seen == [(2, 0), (2, 2), (1, 4)]
    done = reload(job)
    assert (done.processed_rows, done.created_count, done.rejected_count) == (5, 4, 1)
    assert (done.percent, done.lease_token) == (100, "")
    assert done.started_at is not None and done.finished_at >= done.started_at
    assert list(done.row_errors.values_list("line", flat=True)) == [4]


def test_a_crash_keeps_what_committed_and_fails_the_job_with_the_error(
    job, small_chunks, monkeypatch
):
    create = contact_services.contact_create
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # Alan, the second row of the third chunk
            raise RuntimeError("disk full")
        return create(**kwargs)

    monkeypatch.setattr(contact_services, "contact_create", flaky)
    assert import_job_process(job_id=job.pk) == ImportStatus.FAILED
    failed = reload(job)
    assert failed.status == ImportStatus.FAILED
    assert failed.error == "Stopped in the chunk starting at line 6: RuntimeError: disk full"
    assert (failed.processed_rows, failed.created_count, failed.rejected_count) == (4, 3, 1)
    assert failed.percent == 80
    assert set(Contact.objects.values_list("last_name", flat=True)) == {
        "Lovelace",
        "Babbage",
        "Hopper",
    }

    # Resumed once the cause is gone: it goes on from the first row not committed.
    monkeypatch.setattr(contact_services, "contact_create", create)
    assert import_job_resume(job=failed, actor=None)
    assert reload(job).status == ImportStatus.QUEUED and reload(job).error == ""
    assert import_job_process(job_id=job.pk) == ImportStatus.DONE
    done = reload(job)
    assert (done.processed_rows, done.created_count, done.rejected_count) == (5, 4, 1)
    assert Contact.objects.count() == 4
    assert done.row_errors.count() == 1


def test_importing_the_file_again_after_a_crash_duplicates_nothing(
    cast, job, small_chunks, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    import_job_process(job_id=job.pk)  # all of it
    monkeypatch.setattr(contact_services, "contact_update", broken)
    again = import_job_create(
        kind="contacts", file=upload(FIVE_CONTACTS), actor=cast.admin, queue=False
    )
    assert import_job_process(job_id=again.pk) == ImportStatus.DONE
    again = reload(again)
    assert (again.created_count, again.unchanged_count, again.rejected_count) == (0, 4, 1)
    assert Contact.objects.count() == 4


def test_only_one_worker_claims_a_job(job):
    assert import_job_claim(job_id=job.pk) is not None
    assert import_job_claim(job_id=job.pk) is None
    assert import_job_process(job_id=job.pk) == ""
    assert reload(job).processed_rows == 0


def test_finished_and_failed_jobs_are_not_claimed(job):
    import_job_process(job_id=job.pk)
    assert import_job_process(job_id=job.pk) == ""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED)
    assert import_job_claim(job_id=job.pk) is None
    assert reload(job).attempts == 1


def test_a_job_whose_worker_died_is_taken_over_after_the_lease(job, small_chunks, settings):
    # A worker claimed it, committed one chunk and died: its lease is not renewed.
    import_job_claim(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=2, created_count=2)
    assert import_job_process(job_id=job.pk) == ""
    stale = timezone.now() - timedelta(seconds=settings.IMPORT_LEASE_SECONDS + 1)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=stale)
    assert import_job_process(job_id=job.pk) == ImportStatus.DONE
    done = reload(job)
    # It went on from line 4: the first two rows were the dead worker's.
    assert (done.processed_rows, done.created_count, done.attempts) == (5, 4, 2)
    assert set(Contact.objects.values_list("last_name", flat=True)) == {"Hopper", "Turing"}


def test_a_worker_that_lost_its_lease_writes_nothing(job, small_chunks, monkeypatch):
    token = import_job_claim(job_id=job.pk)

    def taken_over(self, rows, **kwargs):
        # Another worker took the job while this one was presumed dead.
        ImportJob.objects.filter(pk=job.pk).update(lease_token="someone-else")
        return apply(self, rows, **kwargs)

    apply = ContactImporter.apply
    monkeypatch.setattr(ContactImporter, "apply", taken_over)
    ImportJob.objects.filter(pk=job.pk).update(lease_token=token, status=ImportStatus.QUEUED)
    assert import_job_process(job_id=job.pk) == ""
    assert Contact.objects.count() == 0
    assert reload(job).processed_rows == 0


def test_a_task_out_of_time_hands_the_rest_to_a_new_one(
    job, small_chunks, settings, eager_celery, django_capture_on_commit_callbacks, monkeypatch
):
    settings.IMPORT_TASK_SECONDS = 0
    runs = []
    process = services.import_job_process

    def counted(**kwargs):
        runs.append(reload(job).processed_rows)
        return process(**kwargs)

    monkeypatch.setattr(services, "import_job_process", counted)
    with django_capture_on_commit_callbacks(execute=True):
        process_import.delay(job.pk)
    # One chunk per task, each sending the next when it commits.
    assert runs == [0, 2, 4]
    assert reload(job).status == ImportStatus.DONE


def test_a_missing_file_fails_the_job_clearly(job):
    job.file.storage.delete(job.file.name)
    assert import_job_process(job_id=job.pk) == ImportStatus.FAILED
    assert "FileNotFoundError" in reload(job).error


def test_only_a_failed_job_is_resumed(job):
    assert not import_job_resume(job=job, actor=None)
    import_job_process(job_id=job.pk)
    assert not import_job_resume(job=reload(job), actor=None)


def test_the_dispatcher_sends_jobs_left_behind_and_only_those(
    cast, settings, eager_celery, django_capture_on_commit_callbacks
):
    make_organization("Acme")
    old = timezone.now() - timedelta(seconds=settings.IMPORT_LEASE_SECONDS + 1)

    def make(status, **fields):
        job = import_job_create(
            kind="contacts", file=upload(FIVE_CONTACTS), actor=cast.admin, queue=False
        )
        ImportJob.objects.filter(pk=job.pk).update(status=status, **fields)
        return job

    lost_message = make(ImportStatus.QUEUED, queued_at=old)
    dead_worker = make(ImportStatus.RUNNING, heartbeat_at=old, lease_token="dead")
    just_queued = make(ImportStatus.QUEUED)
    working = make(ImportStatus.RUNNING, heartbeat_at=timezone.now(), lease_token="alive")
    failed = make(ImportStatus.FAILED, queued_at=old)
    with django_capture_on_commit_callbacks(execute=True):
        assert imports_dispatch() == 2
    assert reload(lost_message).status == ImportStatus.DONE
    assert reload(dead_worker).status == ImportStatus.DONE
    assert reload(just_queued).status == ImportStatus.QUEUED
    assert reload(working).status == ImportStatus.RUNNING
    assert reload(failed).status == ImportStatus.FAILED


def test_a_task_budget_above_celerys_time_limit_refuses_to_start():
    from tests.activities.test_celery_settings import settings_with

    result = settings_with(IMPORT_TASK_SECONDS="300", CELERY_TASK_SOFT_TIME_LIMIT="240")
    assert result.returncode != 0
    assert "IMPORT_TASK_SECONDS must be below" in result.stderr

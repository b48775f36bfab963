"""Imports: files made in the test, run through the same job and task code as an upload."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob
from imports.services import import_job_create, import_job_process
from tests.activities.conftest import eager_celery  # noqa: F401 (a fixture for these tests)


@pytest.fixture(autouse=True)
def media(file_storage):
    """Every import test keeps its uploaded files in a folder of its own."""
    return file_storage


def csv_bytes(*lines: str, bom: bool = False, newline: str = "\n") -> bytes:
    """A CSV file of these lines (written as they are), in UTF-8."""
    data = newline.join(lines).encode() + newline.encode()
    return b"\xef\xbb\xbf" + data if bom else data


def upload(data: bytes, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def run_import(kind: str, data: bytes, *, actor=None, name: str = "import.csv") -> ImportJob:
    """Import a file to the end, in this process, as the task would; the job afterwards."""
    job = import_job_create(kind=kind, file=upload(data, name), actor=actor, queue=False)
    import_job_process(job_id=job.pk)
    return ImportJob.objects.get(pk=job.pk)


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    """(line, column, reason) of each rejected row's problems, by line."""
    return list(job.row_errors.order_by("line", "id").values_list("line", "column", "reason"))


ORGANIZATION_HEADER = (
    "name,sector,country,employees,year established,annual revenue,parent,owner username"
)
CONTACT_HEADER = "first name,last name,e-mail,phone,job title,organization name,owner username"

"""`make run` without Redis: an import queued by the page's service is taken by a real
worker on the file-system broker and SQLite, chunk by chunk. Needs no service, so it runs in
both CI passes."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.activities.processes import CELERY, ROOT
from tests.activities.test_local_default import WORKER

pytestmark = pytest.mark.slow

QUEUE_AN_IMPORT = """
from django.core.files.base import ContentFile
from contacts.models import Organization
from imports.services import import_job_create
from tests.factories import make_user
admin = make_user("ada", role="admin")
Organization.objects.create(name="Acme", owner=admin)
rows = ["first name,last name,e-mail,organization name"]
rows += [f"P{n},Person,p{n}@example.com,Acme" for n in range(9)] + ["Bad,Mail,bob@,Acme"]
file = ContentFile(("\\n".join(rows) + "\\n").encode(), name="people.csv")
import_job_create(kind="contacts", file=file, actor=admin)
"""


def test_a_worker_on_the_file_system_broker_imports_a_queued_file(tmp_path):
    database = tmp_path / "db.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{database}",
        "CELERY_QUEUE_DIR": str(tmp_path / "celery"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "IMPORT_CHUNK_ROWS": "3",
        "PYTHONPATH": str(ROOT),
    }

    def manage(*args: str) -> None:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    manage("migrate", "--noinput", "-v0")
    manage("shell", "-v0", "-c", QUEUE_AN_IMPORT)

    def job() -> tuple:
        with sqlite3.connect(database) as db:
            return db.execute(
                "select status, processed_rows, created_count, rejected_count "
                "from imports_importjob"
            ).fetchone()

    assert job() == ("queued", 0, 0, 0)
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [CELERY, "-A", "crm", *WORKER, f"--schedule={tmp_path / 'beat-schedule'}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while job()[0] != "done" and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.3)
    finally:
        worker.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=20)

    assert job() == ("done", 10, 9, 1), log.read_text()
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from contacts_contact").fetchone() == (9,)
        assert db.execute("select line from imports_importrowerror").fetchall() == [(11,)]

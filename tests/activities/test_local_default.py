"""`make run` without Redis: a worker with embedded beat on the file-system broker and a
SQLite database sends a due reminder once. Needs no service, so it runs in both CI passes."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.activities.processes import CELERY, ROOT

pytestmark = pytest.mark.slow

# The worker of the Makefile's `run` target.
WORKER = [
    "worker",
    "--beat",
    "--loglevel=INFO",
    "--concurrency=1",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
]

CREATE_DUE_ACTIVITY = """
from datetime import timedelta
from django.utils import timezone
from tests.factories import make_deal, make_pipeline, make_team, make_user
from tests.activities.factories import make_activity
rep = make_user("rep", team=make_team("Team"), time_zone="Europe/Lisbon")
deal = make_deal(owner=rep, stage=make_pipeline("Sales").stages.first(), title="Local deal")
make_activity(deal=deal, due_at=timezone.now() + timedelta(minutes=5), reminder_offset=15)
"""


def test_reminders_work_without_redis_on_sqlite(tmp_path):
    database = tmp_path / "db.sqlite3"
    mail_dir = tmp_path / "mail"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{database}",
        "CELERY_QUEUE_DIR": str(tmp_path / "celery"),
        "EMAIL_BACKEND": "tests.activities.mailbackend.OneFilePerMessageBackend",
        "CRM_TEST_MAIL_DIR": str(mail_dir),
        "REMINDER_DISPATCH_SECONDS": "1",
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
    manage("shell", "-v0", "-c", CREATE_DUE_ACTIVITY)

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
        while not list(mail_dir.glob("*.eml")) and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.3)
        time.sleep(2.5)  # two more dispatches: nothing more may go out
    finally:
        worker.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):  # and any pool child left behind
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=20)

    messages = list(mail_dir.glob("*.eml"))
    assert len(messages) == 1, log.read_text()
    assert "Local deal" in messages[0].read_text()
    with sqlite3.connect(database) as db:
        assert db.execute("select state from activities_reminder").fetchall() == [("sent",)]
        assert db.execute("select count(*) from activities_notification").fetchone() == (1,)

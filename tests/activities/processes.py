"""Real Celery worker and beat processes for integration tests, always cleaned up.

Each process runs in its own session (process group), so that a test can SIGKILL a worker
with its pool children at once, and teardown can stop everything it started.
"""

import contextlib
import email
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def database_url_for_processes() -> str:
    """A URL for the database this test runs on, for processes outside the test."""
    settings = connection.settings_dict
    credentials = quote(settings["USER"] or "")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"])
    host = settings["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"


class CeleryProcesses:
    def __init__(self, *, redis_url: str, directory: Path, **env: str) -> None:
        self.directory = directory
        self.mail_dir = directory / "mail"
        self.queue = f"crm-test-{uuid.uuid4().hex[:12]}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "crm.settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url_for_processes(),
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": self.queue,
            "EMAIL_BACKEND": "tests.activities.mailbackend.OneFilePerMessageBackend",
            "CRM_TEST_MAIL_DIR": str(self.mail_dir),
            "REMINDER_DISPATCH_SECONDS": "1",
            "DB_CONN_MAX_AGE": "0",
            **env,
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        log = self.directory / f"{name}-{len(self.started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [CELERY, "-A", "crm", *args],
                cwd=ROOT,
                env={**self.env, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))
        return process

    def worker(self, name: str = "worker", *, concurrency: int = 2, **env: str):
        return self.start(
            name,
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--hostname={name}-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            **env,
        )

    def beat(self, name: str = "beat"):
        schedule = self.directory / f"{name}-{len(self.started)}-schedule"
        return self.start(name, "beat", "--loglevel=INFO", f"--schedule={schedule}")

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL a process and its children, as an out-of-memory killer or `docker kill`."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process, _ in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The group too: pool children can outlive a parent that was killed.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    def forget_queue(self) -> None:
        """Remove this test's queue from Redis: its messages, bindings, and the messages a
        killed worker left unacknowledged (kombu would restore them to a queue nobody reads)."""
        import json

        import redis

        client = redis.Redis.from_url(self.env["REDIS_URL"])
        client.delete(
            self.queue, f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}"
        )
        for tag, payload in client.hgetall("unacked").items():
            with contextlib.suppress(ValueError, TypeError, IndexError):
                if json.loads(payload)[2] == self.queue:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name} ---\n{log.read_text(errors='replace')[-4000:]}"
            for _, log in self.started
        )

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            for process, _ in self.started:
                if process.returncode is None and process.poll() not in (None, -9, -15):
                    pytest.fail(f"a Celery process exited early\n{self.logs()}")
            time.sleep(0.2)
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{self.logs()}")

    def emails_per_reminder(self) -> Counter:
        """How many e-mails each reminder id got, read from the sent message files."""
        sent: Counter = Counter()
        for path in self.mail_dir.glob("*.eml"):
            sent[int(email.message_from_bytes(path.read_bytes())["X-CRM-Reminder"])] += 1
        return sent

    def hanging(self) -> list[Path]:
        return list(self.mail_dir.glob("hanging-*"))

"""Benchmark of reminders: 10,000 due at once, through a real Celery worker on Redis.

make bench                          # all benchmarks, in the crm_bench database
python manage.py bench_reminders    # this one (DATABASE_URL must name a *bench* database)

It adds its own team, pipeline, deals and activities, starts a worker on a queue of its own,
asks it for two dispatches at the same moment, and times until every reminder is sent; then
it counts the e-mails (file backend) and notifications per reminder, and removes its data.
"""

import contextlib
import email
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from kombu import Connection

from activities.models import Activity, Notification, Reminder, ReminderState
from activities.tasks import dispatch_reminders
from crm.celery import app as celery_app
from pipeline.benchmarking import require_bench_database
from pipeline.models import Deal, Pipeline, Stage
from teams.models import Team, Territory, User

NAME = "Bench reminders"
TIME_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Sao_Paulo"]


class Command(BaseCommand):
    help = (
        "Time 10,000 reminders due at once through a real Celery worker on Redis "
        "(PostgreSQL bench database); count duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reminders", type=int, default=10_000)
        parser.add_argument(
            "--concurrency", type=int, default=4, help="worker processes (docker-compose: 4)"
        )
        parser.add_argument("--target", type=float, default=60.0, help="seconds")
        parser.add_argument(
            "--redis-url",
            default=settings.REDIS_URL or "redis://127.0.0.1:6379/0",
            help="the broker (default: REDIS_URL)",
        )

    def handle(self, *args, reminders, concurrency, target, redis_url, **options):
        require_bench_database()
        self.check_redis(redis_url)
        queue = f"crm-bench-{uuid.uuid4().hex[:12]}"
        work_dir = Path(tempfile.mkdtemp(prefix="crm-bench-reminders-"))
        mail_dir = work_dir / "mail"
        mail_dir.mkdir()
        self.remove_data()
        try:
            ids = self.generate(reminders)
            worker, log = self.start_worker(redis_url, queue, mail_dir, concurrency)
            try:
                elapsed = self.run(ids, redis_url, queue, worker, log)
            finally:
                self.stop(worker)
            self.report(ids, elapsed, mail_dir, concurrency, redis_url, target)
        finally:
            self.remove_data()
            shutil.rmtree(work_dir, ignore_errors=True)
            with contextlib.suppress(Exception), Connection(redis_url) as broker:
                broker.default_channel.client.delete(
                    queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
                )

    def check_redis(self, redis_url: str) -> None:
        try:
            with Connection(redis_url, connect_timeout=2) as broker:
                broker.ensure_connection(max_retries=1)
        except Exception as error:
            raise CommandError(f"No Redis at {redis_url} ({error}); set REDIS_URL.") from error

    def generate(self, count: int) -> list[int]:
        """Reps in several time zones, 500 deals and `count` activities, each with a reminder
        that fell due a second ago."""
        started = time.perf_counter()
        territory = Territory.objects.create(name=NAME)
        team = Team.objects.create(name=NAME, territory=territory)
        password = make_password(None)
        reps = User.objects.bulk_create(
            User(
                username=f"bench.reminders.{index}",
                first_name="Bench",
                last_name=f"Rep {index}",
                email=f"bench.reminders.{index}@bench.example",
                team=team,
                time_zone=TIME_ZONES[index % len(TIME_ZONES)],
                password=password,
            )
            for index in range(20)
        )
        pipeline = Pipeline.objects.create(name=NAME)
        stage = Stage.objects.create(pipeline=pipeline, name="Lead", order=1, win_probability=10)
        deals = Deal.objects.bulk_create(
            Deal(
                title=f"{NAME} deal {index}",
                owner=reps[index % len(reps)],
                team=team,
                territory=territory,
                pipeline=pipeline,
                stage=stage,
                value=Decimal("1000.00"),
                position=index,
            )
            for index in range(500)
        )
        now = timezone.now()
        due_at = now + timedelta(minutes=10)
        activities = Activity.objects.bulk_create(
            (
                Activity(
                    deal=deals[index % len(deals)],
                    assignee=deals[index % len(deals)].owner,
                    subject=f"Call {index}",
                    due_date=due_at.date(),
                    due_at=due_at,
                    reminder_offset=15,
                )
                for index in range(count)
            ),
            batch_size=2000,
        )
        reminders = Reminder.objects.bulk_create(
            (
                Reminder(
                    activity=activity,
                    recipient_id=activity.assignee_id,
                    remind_at=now - timedelta(seconds=1),
                )
                for activity in activities
            ),
            batch_size=2000,
        )
        self.stdout.write(
            f"Generated {count:,} activities with reminders due now, for {len(reps)} reps in "
            f"{len(TIME_ZONES)} time zones, in {time.perf_counter() - started:.1f} s."
        )
        return [reminder.pk for reminder in reminders]

    def start_worker(self, redis_url, queue, mail_dir, concurrency):
        db = connection.settings_dict
        credentials = quote(db["USER"] or "") + (
            f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
        )
        env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                f"{db['NAME']}"
            ),
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            # Production settings: no query log.
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
        }
        log = mail_dir.parent / "worker.log"
        with log.open("wb") as output:
            worker = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("celery")),
                    "-A",
                    "crm",
                    "worker",
                    "--loglevel=WARNING",
                    f"--concurrency={concurrency}",
                    f"--hostname=bench-{queue}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return worker, log

    def run(self, ids, redis_url, queue, worker, log) -> float:
        """Ask for two dispatches at once; seconds until every reminder is sent."""
        celery_app.conf.broker_url = redis_url
        celery_app.conf.broker_transport_options = {
            "visibility_timeout": settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(
                "visibility_timeout", 1800
            )
        }
        self.wait_until_ready(worker, log)
        started = time.perf_counter()
        for _ in range(2):  # two dispatchers racing for the same due reminders
            dispatch_reminders.apply_async(queue=queue)
        remaining = Reminder.objects.filter(recipient__team__name=NAME).exclude(
            state=ReminderState.SENT
        )
        deadline = started + 300
        while remaining.exists():
            if worker.poll() is not None or time.perf_counter() > deadline:
                raise CommandError(
                    f"Not all reminders were sent; worker log:\n{log.read_text()[-4000:]}"
                )
            time.sleep(0.2)
        return time.perf_counter() - started

    def wait_until_ready(self, worker, log) -> None:
        with Connection(celery_app.conf.broker_url) as broker:
            broker.ensure_connection(max_retries=3)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise CommandError(f"The worker did not start:\n{log.read_text()[-4000:]}")
            replies = celery_app.control.ping(timeout=0.5)
            if any("bench-" in name for reply in replies for name in reply):
                return
        raise CommandError(f"The worker did not answer:\n{log.read_text()[-4000:]}")

    def stop(self, worker) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)

    def report(self, ids, elapsed, mail_dir, concurrency, redis_url, target) -> None:
        emails: Counter = Counter()
        for path in mail_dir.iterdir():
            for part in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if part.strip():
                    emails[email.message_from_bytes(part.lstrip())["X-CRM-Reminder"]] += 1
        notifications = Counter(
            Notification.objects.filter(reminder_id__in=ids).values_list("reminder_id", flat=True)
        )
        wanted = {str(pk) for pk in ids}
        email_duplicates = sum(n - 1 for n in emails.values() if n > 1)
        missing = len(wanted - set(emails))
        notification_duplicates = sum(n - 1 for n in notifications.values() if n > 1)
        met = elapsed < target and not (email_duplicates or missing or notification_duplicates)
        self.stdout.write(
            f"{len(ids):,} reminders due at once, worker concurrency {concurrency} on "
            f"{redis_url}:\n"
            f"  all sent in {elapsed:.1f} s ({len(ids) / elapsed:,.0f} per second)\n"
            f"  e-mails {sum(emails.values()):,} ({email_duplicates} duplicates, {missing} "
            f"missing), notifications {sum(notifications.values()):,} "
            f"({notification_duplicates} duplicates)\n"
            f"  target: all within {target:.0f} s, no duplicate: {'met' if met else 'MISSED'}"
        )
        if not met:
            raise CommandError("bench_reminders missed its target")

    def remove_data(self) -> None:
        deals = Deal.objects.filter(pipeline__name=NAME)
        Notification.objects.filter(deal__in=deals).delete()
        Activity.objects.filter(deal__in=deals).delete()
        deals.delete()
        Stage.objects.filter(pipeline__name=NAME).delete()
        Pipeline.objects.filter(name=NAME).delete()
        User.objects.filter(team__name=NAME).delete()
        Team.objects.filter(name=NAME).delete()
        Territory.objects.filter(name=NAME).delete()

"""Reminders through real Celery worker and beat processes, Redis and PostgreSQL.

Each test starts its own processes on a queue of its own, points them at the test database
and at a per-test mail directory (one file per e-mail), and stops them at teardown.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from activities.models import CLAIMED_STATES, Delivery, Notification, Reminder, ReminderState
from activities.services import activity_complete
from teams.models import ReminderOffset
from tests.activities.factories import make_activity
from tests.activities.processes import CeleryProcesses

pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres"),
]


@pytest.fixture
def celery_processes(redis_url, tmp_path, transactional_db):
    processes = CeleryProcesses(redis_url=redis_url, directory=tmp_path)
    yield processes
    processes.stop_all()
    processes.forget_queue()


def due_reminders(cast, count: int, *, late: int = 0) -> set[int]:
    """`count` activities whose reminders are due now; `late` of them since yesterday,
    as if no worker had run since."""
    now = timezone.now()
    deals = [cast.deal_a, cast.deal_a2, cast.deal_b]
    for index in range(count):
        make_activity(
            deal=deals[index % 3],
            due_at=now + timedelta(minutes=10),
            reminder_offset=ReminderOffset.DAY_1 if index < late else ReminderOffset.MINUTES_15,
            subject=f"Call {index}",
        )
    return set(Reminder.objects.values_list("pk", flat=True))


def all_sent(ids: set[int]):
    return lambda: Reminder.objects.filter(pk__in=ids, state=ReminderState.SENT).count() == len(ids)


def assert_each_sent_once(processes: CeleryProcesses, ids: set[int]) -> None:
    emails = processes.emails_per_reminder()
    assert set(emails) == ids, "e-mails missing or for reminders that were not due"
    duplicates = {pk: n for pk, n in emails.items() if n != 1}
    assert not duplicates, f"reminders e-mailed more than once: {duplicates}"
    notifications = list(Notification.objects.values_list("reminder_id", flat=True))
    assert sorted(notifications) == sorted(ids)
    assert Delivery.objects.count() == 2 * len(ids)


def test_worker_and_beat_send_each_due_reminder_once_by_email_and_in_app(cast, celery_processes):
    ids = due_reminders(cast, 9, late=3)
    later = make_activity(
        deal=cast.deal_a, due_at=timezone.now() + timedelta(hours=5), reminder_offset=0
    )
    completed = make_activity(
        deal=cast.deal_a, due_at=timezone.now() + timedelta(minutes=5), reminder_offset=15
    )
    activity_complete(activity=completed, actor=cast.rep_a)

    celery_processes.worker()
    celery_processes.beat()
    celery_processes.wait_for(all_sent(ids), "the due reminders to be sent")
    time.sleep(3)  # three more dispatches: nothing more may go out
    celery_processes.stop_all()

    assert_each_sent_once(celery_processes, ids)
    assert later.reminders.get().state == ReminderState.PENDING
    assert completed.reminders.get().state == ReminderState.CANCELLED
    body = next(celery_processes.mail_dir.glob("*.eml")).read_text()
    assert "Subject: Reminder: Call: Call " in body


def test_two_dispatchers_at_once_send_no_duplicate(cast, celery_processes):
    """Two workers and, against the rules, two beats: dispatches overlap all the time."""
    ids = due_reminders(cast, 300)
    for name in ("worker-1", "worker-2"):
        celery_processes.worker(name)
    celery_processes.beat("beat-1")
    celery_processes.beat("beat-2")
    celery_processes.wait_for(all_sent(ids), "the due reminders to be sent")
    time.sleep(2)
    celery_processes.stop_all()
    assert_each_sent_once(celery_processes, ids)


def test_a_worker_killed_mid_batch_loses_and_repeats_nothing(cast, redis_url, tmp_path):
    """SIGKILL the worker and its pool while both pool processes are in the middle of
    handing an e-mail to the mail server, part of the batch sent; start a new worker: every
    reminder goes out once (the claims of the dead worker are taken again after the lease)."""
    processes = CeleryProcesses(redis_url=redis_url, directory=tmp_path, REMINDER_LEASE_SECONDS="3")
    try:
        ids = due_reminders(cast, 150)
        worker = processes.worker(CRM_TEST_MAIL_HANG_AT="40")
        processes.beat()
        processes.wait_for(lambda: len(processes.hanging()) == 2, "both pool processes to hang")
        sent_before = sum(processes.emails_per_reminder().values())
        in_flight = Reminder.objects.filter(pk__in=ids, state__in=CLAIMED_STATES).count()
        assert 40 <= sent_before < 150
        assert in_flight > 0
        # Some have their notification out and their e-mail owed: the riskiest moment.
        assert Reminder.objects.filter(state=ReminderState.SENDING).exists()

        processes.kill(worker)
        assert Reminder.objects.filter(state=ReminderState.SENT).count() == sent_before

        processes.worker("worker-restarted")
        processes.wait_for(all_sent(ids), "the restarted worker to send the rest")
        time.sleep(4)  # past another lease: the dead worker's claims must not go out again
        processes.stop_all()
        assert_each_sent_once(processes, ids)
        assert Reminder.objects.filter(pk__in=ids, attempts__gte=2).exists()
    finally:
        processes.stop_all()
        processes.forget_queue()

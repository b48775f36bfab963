"""Dispatchers and deliveries racing on PostgreSQL row locks, in threads of this process.

Each thread has its own database connection, so these are real concurrent transactions.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from activities import services, tasks
from activities.models import Delivery, Notification, Reminder, ReminderState
from teams.models import ReminderOffset
from tests.activities.factories import make_activity

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres"),
]


def due_reminders(cast, count: int) -> set[int]:
    soon = timezone.now() + timedelta(minutes=10)
    for index in range(count):
        make_activity(
            deal=cast.deal_a,
            due_at=soon,
            reminder_offset=ReminderOffset.MINUTES_15,
            subject=f"Call {index}",
        )
    return set(Reminder.objects.values_list("pk", flat=True))


def run_at_once(count: int, work) -> list:
    """Run `work()` in `count` threads released together; return their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_dispatchers_running_at_once_claim_each_reminder_once(cast, monkeypatch):
    ids = due_reminders(cast, 120)
    monkeypatch.setattr(services, "DISPATCH_BATCH", 7)  # many small claims, to interleave
    queued: list[int] = []
    lock = threading.Lock()

    def fake_delay(reminder_ids):
        with lock:
            queued.extend(reminder_ids)

    monkeypatch.setattr(tasks.deliver_reminders, "delay", fake_delay)

    claimed = run_at_once(4, services.reminders_dispatch)

    assert sum(claimed) == len(ids)
    assert sorted(queued) == sorted(ids), "a reminder was queued twice or never"
    assert Reminder.objects.filter(state=ReminderState.QUEUED, attempts=1).count() == len(ids)


def test_deliveries_of_the_same_reminders_at_once_send_each_once(cast):
    ids = sorted(due_reminders(cast, 60))

    sent = run_at_once(4, lambda: services.reminders_deliver(reminder_ids=ids))

    assert sum(sent) == len(ids)
    per_reminder = Counter(int(message.extra_headers["X-CRM-Reminder"]) for message in mail.outbox)
    assert set(per_reminder) == set(ids) and set(per_reminder.values()) == {1}
    assert Notification.objects.count() == len(ids)
    assert Delivery.objects.count() == 2 * len(ids)


def test_completing_while_the_email_is_being_sent_neither_waits_nor_sends_twice(cast):
    """The notification is out and the e-mail is with the mail server when the rep completes
    the activity: the completion does not wait for the mail server, and the e-mail, already
    on its way, goes out once."""
    (reminder_id,) = due_reminders(cast, 1)
    activity = Reminder.objects.get().activity
    sending = threading.Event()
    release = threading.Event()
    original_send = mail.EmailMessage.send

    def slow_send(message, *args, **kwargs):
        sending.set()
        release.wait(10)
        return original_send(message, *args, **kwargs)

    results: list = []

    def deliver():
        try:
            results.append(services.reminder_deliver(reminder_id=reminder_id))
        finally:
            connection.close()

    def complete():
        try:
            services.activity_complete(activity=activity, actor=cast.rep_a)
        finally:
            connection.close()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mail.EmailMessage, "send", slow_send)
        worker = threading.Thread(target=deliver)
        worker.start()
        assert sending.wait(10)
        completer = threading.Thread(target=complete)
        completer.start()
        completer.join(timeout=10)
        assert not completer.is_alive(), "completing waited for the mail server"
        release.set()
        worker.join(timeout=10)

    assert results == [True]
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().state == ReminderState.SENT
    activity.refresh_from_db()
    assert activity.done


def test_deleting_while_the_email_is_being_sent_waits_and_then_deletes(cast):
    """The delete waits for the worker that is handing the e-mail over, then removes the
    activity with its reminder and deliveries; the e-mail went out once."""
    (reminder_id,) = due_reminders(cast, 1)
    activity = Reminder.objects.get().activity
    sending = threading.Event()
    release = threading.Event()
    original_send = mail.EmailMessage.send

    def slow_send(message, *args, **kwargs):
        sending.set()
        release.wait(10)
        return original_send(message, *args, **kwargs)

    errors: list = []

    def run(work):
        def target():
            try:
                work()
            except Exception as error:
                errors.append(error)
            finally:
                connection.close()

        thread = threading.Thread(target=target)
        thread.start()
        return thread

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mail.EmailMessage, "send", slow_send)
        worker = run(lambda: services.reminder_deliver(reminder_id=reminder_id))
        assert sending.wait(10)
        deleter = run(lambda: services.activity_delete(activity=activity, actor=cast.rep_a))
        deleter.join(timeout=1)
        assert deleter.is_alive(), "the delete should wait for the e-mail being sent"
        release.set()
        worker.join(timeout=10)
        deleter.join(timeout=10)

    assert not errors, errors
    assert len(mail.outbox) == 1
    assert not Reminder.objects.exists() and not Delivery.objects.exists()
    assert Notification.objects.get().reminder is None  # the notification stays, unlinked

"""The reminder dispatcher and delivery, with frozen time and tasks run in-process."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail

from activities.models import (
    Channel,
    Delivery,
    Notification,
    Reminder,
    ReminderState,
)
from activities.services import (
    activity_complete,
    activity_delete,
    activity_update,
    reminder_deliver,
    reminders_dispatch,
)
from teams.models import ReminderOffset
from tests.activities.factories import make_activity

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
SOON = T0 + timedelta(minutes=1)


def update_kwargs(activity, **changes):
    values = {
        "type": activity.type,
        "subject": activity.subject,
        "assignee": activity.assignee,
        "due_date": activity.due_date,
        "due_at": activity.due_at,
        "duration": activity.duration,
        "reminder_offset": activity.reminder_offset,
        "note": activity.note,
    }
    return values | changes


@pytest.fixture
def at(time_machine):
    def move(moment: datetime) -> None:
        time_machine.move_to(moment, tick=False)

    move(T0)
    return move


def test_due_reminder_is_sent_once_by_email_and_in_app(cast, at, dispatch):
    activity = make_activity(
        deal=cast.deal_a,
        due_at=T0 + timedelta(hours=1),
        reminder_offset=ReminderOffset.MINUTES_15,
        subject="Pricing call",
    )
    reminder = Reminder.objects.get(activity=activity)
    assert reminder.remind_at == T0 + timedelta(minutes=45)

    at(T0 + timedelta(minutes=45))
    assert dispatch() == 1

    reminder.refresh_from_db()
    assert reminder.state == ReminderState.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rep_a@example.com"]
    assert "Pricing call" in message.subject
    assert message.extra_headers["X-CRM-Reminder"] == str(reminder.pk)
    assert f"/deals/{cast.deal_a.pk}/" in message.body
    notification = Notification.objects.get()
    assert notification.recipient == cast.rep_a and notification.reminder == reminder
    assert set(Delivery.objects.values_list("channel", flat=True)) == {
        Channel.IN_APP,
        Channel.EMAIL,
    }

    at(T0 + timedelta(minutes=50))
    assert dispatch() == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1


def test_reminder_not_yet_due_is_not_sent(cast, at, dispatch):
    make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=2), reminder_offset=ReminderOffset.HOUR_1
    )
    at(T0 + timedelta(minutes=59, seconds=59))
    assert dispatch() == 0
    assert mail.outbox == []
    assert Reminder.objects.get().state == ReminderState.PENDING

    at(T0 + timedelta(hours=1))
    assert dispatch() == 1
    assert len(mail.outbox) == 1


def test_activity_without_reminder_arms_none(cast, at, dispatch):
    make_activity(deal=cast.deal_a, due_at=T0 + timedelta(minutes=5), reminder_offset=None)
    assert not Reminder.objects.exists()
    at(T0 + timedelta(days=1))
    assert dispatch() == 0


def test_completing_before_the_reminder_cancels_it(cast, at, dispatch):
    activity = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=ReminderOffset.AT_TIME
    )
    assert activity_complete(activity=activity, actor=cast.rep_a)
    assert Reminder.objects.get().state == ReminderState.CANCELLED

    at(T0 + timedelta(hours=2))
    assert dispatch() == 0
    assert mail.outbox == [] and not Notification.objects.exists()


def test_completed_activity_is_not_reminded_even_if_already_queued(cast, at, dispatch):
    """A delivery task that runs after the activity was completed sends nothing."""
    activity = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=ReminderOffset.AT_TIME
    )
    reminder = Reminder.objects.get()
    at(T0 + timedelta(hours=1))
    with mock.patch("activities.tasks.deliver_reminders.delay"):
        assert reminders_dispatch() == 1  # claimed, its task still in the queue
    activity_complete(activity=activity, actor=cast.rep_a)

    assert reminder_deliver(reminder_id=reminder.pk) is False
    assert mail.outbox == []
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.CANCELLED


def test_deleted_activity_sends_nothing(cast, at, dispatch):
    activity = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=ReminderOffset.AT_TIME
    )
    reminder_id = Reminder.objects.get().pk
    activity_delete(activity=activity, actor=cast.rep_a)
    assert not Reminder.objects.exists()

    at(T0 + timedelta(hours=2))
    assert dispatch() == 0
    assert reminder_deliver(reminder_id=reminder_id) is False
    assert mail.outbox == []


def test_moving_the_due_time_rearms_the_reminder(cast, at, dispatch):
    activity = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=ReminderOffset.AT_TIME
    )
    first = Reminder.objects.get()
    activity_update(
        activity=activity,
        actor=cast.rep_a,
        **update_kwargs(activity, due_at=T0 + timedelta(hours=3)),
    )
    first.refresh_from_db()
    assert first.state == ReminderState.CANCELLED
    second = Reminder.objects.get(state=ReminderState.PENDING)
    assert second.remind_at == T0 + timedelta(hours=3)

    at(T0 + timedelta(hours=1))
    assert dispatch() == 0
    at(T0 + timedelta(hours=3))
    assert dispatch() == 1
    assert len(mail.outbox) == 1
    assert Notification.objects.get().reminder == second


def test_editing_without_moving_keeps_the_armed_reminder(cast, at):
    activity = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=ReminderOffset.AT_TIME
    )
    armed = Reminder.objects.get()
    activity_update(
        activity=activity, actor=cast.rep_a, **update_kwargs(activity, subject="New subject")
    )
    assert list(Reminder.objects.all()) == [armed]
    assert Reminder.objects.get().state == ReminderState.PENDING


def test_changing_the_offset_or_assignee_rearms(cast, at):
    activity = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=2), reminder_offset=ReminderOffset.AT_TIME
    )
    activity = activity_update(
        activity=activity,
        actor=cast.rep_a,
        **update_kwargs(activity, reminder_offset=ReminderOffset.HOUR_1),
    )
    armed = Reminder.objects.get(state=ReminderState.PENDING)
    assert armed.remind_at == T0 + timedelta(hours=1)
    activity_update(
        activity=activity, actor=cast.manager_a, **update_kwargs(activity, assignee=cast.manager_a)
    )
    armed = Reminder.objects.get(state=ReminderState.PENDING)
    assert armed.recipient == cast.manager_a
    assert Reminder.objects.filter(state=ReminderState.CANCELLED).count() == 2


def test_removing_the_reminder_cancels_it(cast, at, dispatch):
    activity = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=ReminderOffset.AT_TIME
    )
    activity_update(
        activity=activity, actor=cast.rep_a, **update_kwargs(activity, reminder_offset=None)
    )
    assert not Reminder.objects.filter(state=ReminderState.PENDING).exists()
    at(T0 + timedelta(hours=2))
    assert dispatch() == 0


def test_moving_a_sent_reminder_later_arms_a_new_one(cast, at, dispatch):
    activity = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=ReminderOffset.AT_TIME
    )
    at(T0 + timedelta(hours=1))
    dispatch()
    activity_update(
        activity=activity,
        actor=cast.rep_a,
        **update_kwargs(activity, due_at=T0 + timedelta(days=1)),
    )
    at(T0 + timedelta(days=1))
    assert dispatch() == 1
    assert len(mail.outbox) == 2


def test_editing_after_the_reminder_went_out_does_not_send_it_again(cast, at, dispatch):
    activity = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=2), reminder_offset=ReminderOffset.HOUR_1
    )
    at(T0 + timedelta(hours=1))
    dispatch()
    activity_update(activity=activity, actor=cast.rep_a, **update_kwargs(activity, note="Agenda"))
    at(T0 + timedelta(hours=1, minutes=30))
    assert dispatch() == 0
    assert len(mail.outbox) == 1


def test_a_retried_delivery_sends_nothing_more(cast, at, dispatch):
    make_activity(deal=cast.deal_a, due_at=SOON, reminder_offset=ReminderOffset.AT_TIME)
    make_activity(deal=cast.deal_a, due_at=SOON, reminder_offset=ReminderOffset.AT_TIME)
    at(SOON)
    dispatch()
    ids = list(Reminder.objects.values_list("pk", flat=True))
    for reminder_id in ids:
        assert reminder_deliver(reminder_id=reminder_id) is False
    assert len(mail.outbox) == 2
    assert Delivery.objects.count() == 4


def test_a_claim_older_than_the_lease_is_claimed_again(cast, at, dispatch, settings):
    """The delivery message was lost or its worker died: the next dispatch after the lease
    sends it; before the lease nothing is claimed twice."""
    make_activity(deal=cast.deal_a, due_at=SOON, reminder_offset=ReminderOffset.AT_TIME)
    at(SOON)
    with mock.patch("activities.tasks.deliver_reminders.delay"):
        assert reminders_dispatch() == 1
    at(SOON + timedelta(seconds=settings.REMINDER_LEASE_SECONDS - 1))
    assert dispatch() == 0
    assert mail.outbox == []

    at(SOON + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1))
    assert dispatch() == 1
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().attempts == 2


def test_a_reminder_due_while_no_worker_ran_is_sent_when_one_starts(cast, at, dispatch):
    make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=ReminderOffset.AT_TIME
    )
    at(T0 + timedelta(days=2))  # nothing dispatched for two days
    assert dispatch() == 1
    assert len(mail.outbox) == 1


def test_a_refused_email_is_sent_after_the_lease_and_the_notification_not_again(
    cast, at, dispatch, settings
):
    make_activity(deal=cast.deal_a, due_at=SOON, reminder_offset=ReminderOffset.AT_TIME)
    at(SOON)
    with mock.patch(
        "django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("SMTP down")
    ):
        assert dispatch() == 1
    reminder = Reminder.objects.get()
    assert reminder.state == ReminderState.SENDING  # the e-mail is owed
    assert Notification.objects.count() == 1
    assert list(Delivery.objects.values_list("channel", flat=True)) == [Channel.IN_APP]

    at(SOON + timedelta(seconds=settings.REMINDER_LEASE_SECONDS - 1))
    assert dispatch() == 0
    at(SOON + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1))
    assert dispatch() == 1
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.SENT and reminder.attempts == 2


def test_completing_after_the_notification_went_out_still_sends_the_owed_email(
    cast, at, dispatch, settings
):
    activity = make_activity(deal=cast.deal_a, due_at=SOON, reminder_offset=0)
    at(SOON)
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("SMTP down")):
        dispatch()
    activity_complete(activity=activity, actor=cast.rep_a)
    at(SOON + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1))
    dispatch()
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().state == ReminderState.SENT


def test_after_repeated_email_failures_the_reminder_goes_out_in_app(cast, at, dispatch, settings):
    make_activity(deal=cast.deal_a, due_at=SOON, reminder_offset=ReminderOffset.AT_TIME)
    Reminder.objects.update(attempts=5)
    at(SOON)
    with mock.patch(
        "django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("SMTP down")
    ) as send:
        assert dispatch() == 1
    assert not send.called
    assert Notification.objects.count() == 1
    assert list(Delivery.objects.values_list("channel", flat=True)) == [Channel.IN_APP]


def test_a_recipient_without_email_gets_the_notification_only(cast, at, dispatch):
    cast.rep_a.email = ""
    cast.rep_a.save()
    make_activity(deal=cast.deal_a, due_at=SOON, reminder_offset=ReminderOffset.AT_TIME)
    at(SOON)
    dispatch()
    assert mail.outbox == []
    assert Notification.objects.count() == 1


def test_past_activities_arm_no_reminder(cast, at):
    make_activity(
        deal=cast.deal_a, due_at=T0 - timedelta(hours=1), reminder_offset=ReminderOffset.AT_TIME
    )
    assert not Reminder.objects.exists()


def test_a_reminder_whose_time_passed_before_scheduling_goes_out_at_once(cast, at, dispatch):
    make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(minutes=10), reminder_offset=ReminderOffset.HOUR_1
    )
    assert dispatch() == 1
    assert len(mail.outbox) == 1


# Time zones and daylight saving time ----------------------------------------------------


def test_all_day_reminders_follow_the_local_morning_across_dst(cast, at, dispatch):
    """Berlin moves from UTC+1 to UTC+2 on 29 March 2026: 09:00 local is 08:00 UTC the day
    before and 07:00 UTC on the day."""
    cast.rep_a.time_zone = "Europe/Berlin"
    cast.rep_a.save()
    at(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    day_before = make_activity(
        deal=cast.deal_a, due_date=date(2026, 3, 29), reminder_offset=ReminderOffset.DAY_1
    )
    on_the_day = make_activity(
        deal=cast.deal_a, due_date=date(2026, 3, 29), reminder_offset=ReminderOffset.AT_TIME
    )
    assert day_before.reminders.get().remind_at == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert on_the_day.reminders.get().remind_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)

    at(datetime(2026, 3, 28, 7, 59, tzinfo=UTC))
    assert dispatch() == 0
    at(datetime(2026, 3, 28, 8, 0, tzinfo=UTC))
    assert dispatch() == 1
    at(datetime(2026, 3, 29, 6, 59, tzinfo=UTC))
    assert dispatch() == 0
    at(datetime(2026, 3, 29, 7, 0, tzinfo=UTC))
    assert dispatch() == 1
    assert len(mail.outbox) == 2


def test_one_day_before_keeps_the_wall_clock_time_across_dst(cast, at, dispatch):
    """New York springs forward on 8 March 2026: a 10:00 call on the 8th (UTC-4) is reminded
    at 10:00 on the 7th (UTC-5), 25 hours before, not at 09:00."""
    cast.rep_a.time_zone = "America/New_York"
    cast.rep_a.save()
    at(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))
    activity = make_activity(
        deal=cast.deal_a,
        due_at=datetime(2026, 3, 8, 14, 0, tzinfo=UTC),  # 10:00 EDT
        reminder_offset=ReminderOffset.DAY_1,
    )
    assert activity.reminders.get().remind_at == datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    at(datetime(2026, 3, 7, 14, 0, tzinfo=UTC))  # 09:00 EST: exactly 24 h before
    assert dispatch() == 0
    at(datetime(2026, 3, 7, 15, 0, tzinfo=UTC))
    assert dispatch() == 1


def test_minute_offsets_count_absolute_time_across_the_autumn_change(cast, at, dispatch):
    """Berlin falls back on 25 October 2026 at 03:00 CEST: an 03:30 CET meeting's one-hour
    reminder is at 01:30 UTC (02:30 CET), not at a wall-clock 02:30 CEST."""
    cast.rep_a.time_zone = "Europe/Berlin"
    cast.rep_a.save()
    at(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    activity = make_activity(
        deal=cast.deal_a,
        due_at=datetime(2026, 10, 25, 2, 30, tzinfo=UTC),  # 03:30 CET
        reminder_offset=ReminderOffset.HOUR_1,
    )
    assert activity.reminders.get().remind_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert activity.due_date == date(2026, 10, 25)


def test_the_reminder_shows_the_time_in_the_recipients_zone(cast, at, dispatch):
    cast.rep_a.time_zone = "Asia/Tokyo"
    cast.rep_a.save()
    make_activity(
        deal=cast.deal_a,
        due_at=T0 + timedelta(minutes=30),  # 21:30 in Tokyo
        reminder_offset=ReminderOffset.MINUTES_15,
        subject="Late call",
    )
    at(T0 + timedelta(minutes=15))
    dispatch()
    assert "21:30" in Notification.objects.get().text
    assert "21:30" in mail.outbox[0].body


def test_the_due_date_is_the_assignees_day(cast, at):
    cast.rep_a.time_zone = "Pacific/Auckland"
    cast.rep_a.save()
    activity = make_activity(
        deal=cast.deal_a,
        due_at=datetime(2026, 6, 10, 20, 0, tzinfo=UTC),  # 08:00 on the 11th in Auckland
        reminder_offset=None,
    )
    assert activity.due_date == date(2026, 6, 11)

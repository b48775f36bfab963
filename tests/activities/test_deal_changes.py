"""What happens to a deal's activities when the deal closes, reopens or changes hands.

A closed deal reminds nobody; a reopened one reminds again of what is still ahead; a new
owner takes over the former owner's open activities with their reminders. And whatever
the path, a reminder, notification or digest line only ever goes to someone who can still
see the deal when it is sent.
"""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from activities.models import Activity, Notification, Reminder, ReminderState
from activities.queries import digest_for
from activities.services import activity_complete
from pipeline import services
from pipeline.models import Deal, DealStatus
from teams.models import ReminderOffset
from tests.activities.factories import make_activity

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def at(time_machine):
    def move(moment: datetime) -> None:
        time_machine.move_to(moment, tick=False)

    move(T0)
    return move


def armed(activity) -> list[Reminder]:
    return list(Reminder.objects.filter(activity=activity, state__in=["pending", "queued"]))


def close(client, deal, how):
    if how == "won":
        return client.post(reverse("pipeline:deal-won", args=[deal.pk]), {"version": deal.version})
    return client.post(
        reverse("pipeline:deal-lost", args=[deal.pk]),
        {"version": deal.version, "reason": "other", "reason_text": "Price"},
    )


def reopen(client, deal):
    deal.refresh_from_db()
    return client.post(reverse("pipeline:deal-reopen", args=[deal.pk]), {"version": deal.version})


# Closing and reopening ---------------------------------------------------------------------


@pytest.mark.parametrize("how", ["won", "lost"])
def test_closing_a_deal_cancels_the_reminders_of_its_open_activities(
    client, cast, at, dispatch, how
):
    call = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(hours=2), reminder_offset=ReminderOffset.HOUR_1
    )
    other_deal = make_activity(
        deal=cast.deal_a2, due_at=T0 + timedelta(hours=2), reminder_offset=ReminderOffset.HOUR_1
    )
    client.force_login(cast.rep_a)

    assert close(client, cast.deal_a, how).status_code == 302

    assert armed(call) == []
    assert Reminder.objects.get(activity=call).state == ReminderState.CANCELLED
    assert len(armed(other_deal)) == 1  # another deal's reminders are left alone
    at(T0 + timedelta(hours=1))
    assert dispatch() == 1
    assert [m.to for m in mail.outbox] == [["rep_a2@example.com"]]
    assert not Notification.objects.filter(recipient=cast.rep_a).exists()


def test_reopening_rearms_the_reminders_still_ahead_and_not_those_missed_while_closed(
    client, cast, at, dispatch
):
    missed = make_activity(
        deal=cast.deal_a,
        subject="Missed while closed",
        due_at=T0 + timedelta(days=1, hours=2),
        reminder_offset=ReminderOffset.DAY_1,  # T0 + 2 h
    )
    ahead = make_activity(
        deal=cast.deal_a,
        subject="Still ahead",
        due_at=T0 + timedelta(days=3),
        reminder_offset=ReminderOffset.HOUR_1,
    )
    done = make_activity(
        deal=cast.deal_a, due_at=T0 + timedelta(days=3), reminder_offset=ReminderOffset.HOUR_1
    )
    activity_complete(activity=done, actor=cast.rep_a)
    client.force_login(cast.rep_a)
    close(client, cast.deal_a, "won")

    at(T0 + timedelta(hours=3))  # the first reminder's time passed while the deal was closed
    assert dispatch() == 0
    assert reopen(client, cast.deal_a).status_code == 302

    assert armed(missed) == [] and armed(done) == []
    [rearmed] = armed(ahead)
    assert rearmed.remind_at == T0 + timedelta(days=3, hours=-1)
    assert rearmed.recipient == cast.rep_a
    assert dispatch() == 0  # nothing late goes out at the reopening
    at(T0 + timedelta(days=3, hours=-1))
    assert dispatch() == 1
    assert len(mail.outbox) == 1 and "Still ahead" in mail.outbox[0].subject


def test_an_activity_scheduled_on_a_closed_deal_is_armed_only_when_it_reopens(
    client, cast, at, dispatch
):
    client.force_login(cast.rep_a)
    close(client, cast.deal_a, "lost")
    follow_up = make_activity(
        deal=Deal.objects.get(pk=cast.deal_a.pk),
        due_at=T0 + timedelta(days=2),
        reminder_offset=ReminderOffset.HOUR_1,
    )
    assert armed(follow_up) == []
    reopen(client, cast.deal_a)
    assert len(armed(follow_up)) == 1


def test_a_reminder_whose_deal_was_closed_behind_the_services_back_is_not_sent(cast, at, dispatch):
    make_activity(deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=0)
    Deal.objects.filter(pk=cast.deal_a.pk).update(status=DealStatus.WON, closed_at=T0)
    at(T0 + timedelta(hours=1))
    dispatch()
    assert mail.outbox == [] and not Notification.objects.exists()
    assert Reminder.objects.get().state == ReminderState.CANCELLED


# Reassigning -------------------------------------------------------------------------------


def edit_owner(client, deal, owner):
    deal.refresh_from_db()
    return client.post(
        reverse("pipeline:deal-edit", args=[deal.pk]),
        {
            "title": deal.title,
            "value": str(deal.value),
            "currency": deal.currency,
            "owner": owner.pk,
            "version": deal.version,
        },
    )


def test_a_new_owner_takes_over_the_former_owners_open_activities_with_their_reminders(
    client, cast, at, dispatch
):
    theirs = make_activity(
        deal=cast.deal_a,
        subject="Former owner's call",
        due_at=T0 + timedelta(hours=2),
        reminder_offset=ReminderOffset.HOUR_1,
    )
    old_reminder = armed(theirs)[0]
    finished = make_activity(deal=cast.deal_a, due_at=T0 - timedelta(days=1), subject="Done")
    activity_complete(activity=finished, actor=cast.rep_a)
    managers = make_activity(
        deal=cast.deal_a,
        assignee=cast.manager_a,
        subject="Manager's review",
        due_at=T0 + timedelta(hours=2),
        reminder_offset=ReminderOffset.HOUR_1,
    )
    client.force_login(cast.admin)

    assert edit_owner(client, cast.deal_a, cast.rep_b).status_code == 302

    deal = Deal.objects.get(pk=cast.deal_a.pk)
    assert (deal.owner, deal.team) == (cast.rep_b, cast.team_b)
    theirs.refresh_from_db()
    assert theirs.assignee == cast.rep_b
    [moved] = armed(theirs)
    assert (moved.recipient, moved.remind_at) == (cast.rep_b, T0 + timedelta(hours=1))
    old_reminder.refresh_from_db()
    assert old_reminder.state == ReminderState.CANCELLED
    finished.refresh_from_db()
    assert finished.assignee == cast.rep_a  # who did it stays who did it
    managers.refresh_from_db()
    assert managers.assignee == cast.manager_a  # not the former owner's

    at(T0 + timedelta(hours=1))
    dispatch()
    # manager_a no longer sees the deal (team B's now): only rep_b is reminded.
    assert [m.to for m in mail.outbox] == [["rep_b@example.com"]]
    assert "Former owner's call" in mail.outbox[0].subject
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["rep_b"]
    assert digest_for(cast.rep_a, now=T0 + timedelta(days=2)).own.overdue == []


def test_a_reassigned_activity_is_due_on_the_new_owners_day_and_reminded_on_their_clock(
    client, cast, at
):
    cast.rep_a2.time_zone = "Pacific/Auckland"  # UTC+12 in June
    cast.rep_a2.save()
    late_call = make_activity(
        deal=cast.deal_a,
        due_at=datetime(2026, 6, 12, 20, 0, tzinfo=UTC),  # Sat 08:00 in Auckland
        reminder_offset=ReminderOffset.DAY_1,
    )
    assert late_call.due_date == date(2026, 6, 12)
    client.force_login(cast.manager_a)
    edit_owner(client, cast.deal_a, cast.rep_a2)
    late_call.refresh_from_db()
    assert late_call.due_date == date(2026, 6, 13)
    assert armed(late_call)[0].recipient == cast.rep_a2


def test_reassigning_through_the_service_moves_the_activities_too(cast, at):
    call = make_activity(deal=cast.deal_a, due_at=T0 + timedelta(hours=2), reminder_offset=0)
    services.deal_update(deal=cast.deal_a, version=1, actor=cast.admin, owner=cast.rep_a2)
    call.refresh_from_db()
    assert call.assignee == cast.rep_a2 and armed(call)[0].recipient == cast.rep_a2


def test_saving_the_same_owner_moves_nothing(client, cast, at):
    call = make_activity(deal=cast.deal_a, due_at=T0 + timedelta(hours=2), reminder_offset=0)
    reminder = armed(call)[0]
    client.force_login(cast.rep_a)
    assert edit_owner(client, cast.deal_a, cast.rep_a).status_code == 302
    assert armed(call) == [reminder]


# Defence in depth: whoever can no longer see the deal is not told about it -----------------


def hand_over_behind_the_services_back(deal, owner):
    """An owner change that no service made (a data fix, a script): activities stay put."""
    Deal.objects.filter(pk=deal.pk).update(owner=owner, team=owner.team)


def test_a_reminder_goes_only_to_someone_who_still_sees_the_deal_when_it_is_sent(
    cast, at, dispatch
):
    make_activity(deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=0)
    make_activity(
        deal=cast.deal_a, assignee=cast.manager_a, due_at=T0 + timedelta(hours=1), reminder_offset=0
    )
    make_activity(deal=cast.deal_a2, due_at=T0 + timedelta(hours=1), reminder_offset=0)
    hand_over_behind_the_services_back(cast.deal_a, cast.rep_b)
    at(T0 + timedelta(hours=1))

    dispatch()

    assert [m.to for m in mail.outbox] == [["rep_a2@example.com"]]
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["rep_a2"]
    states = dict(Reminder.objects.values_list("activity__deal_id", "state").distinct())
    assert states[cast.deal_a.pk] == ReminderState.CANCELLED


def test_an_owed_email_is_not_sent_once_the_recipient_no_longer_sees_the_deal(
    cast, at, dispatch, settings
):
    make_activity(deal=cast.deal_a, due_at=T0 + timedelta(hours=1), reminder_offset=0)
    at(T0 + timedelta(hours=1))
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("SMTP down")):
        dispatch()
    assert Reminder.objects.get().state == ReminderState.SENDING
    hand_over_behind_the_services_back(cast.deal_a, cast.rep_b)

    at(T0 + timedelta(hours=1, seconds=settings.REMINDER_LEASE_SECONDS + 1))
    dispatch()

    assert mail.outbox == []
    assert Reminder.objects.get().state == ReminderState.SENT  # given up, like a lost address


def test_a_digest_lists_nothing_about_deals_the_recipient_can_no_longer_see(cast, at):
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 1), subject="Old call")
    make_activity(deal=cast.deal_a2, due_date=date(2026, 6, 1), subject="Team call")
    hand_over_behind_the_services_back(cast.deal_a, cast.rep_b)

    own = digest_for(cast.rep_a).own
    assert (own.overdue, own.overdue_count, own.idle, own.idle_count) == ([], 0, [], 0)
    team = {row.person.username: row for row in digest_for(cast.manager_a).team}
    assert team["rep_a"].overdue_count == 0
    assert team["rep_a2"].overdue_count == 1
    assert Activity.objects.filter(assignee=cast.rep_a, done=False).count() == 1


# Activities on leads: the same send-time rule, through the lead's visibility ----------------


def test_a_lead_activitys_reminder_goes_only_to_someone_who_still_sees_the_lead(cast, at, dispatch):
    from leads.models import Lead
    from tests.leads.factories import make_lead

    kept = make_lead(owner=cast.rep_a2, title="Kept lead")
    handed_over = make_lead(owner=cast.rep_a, title="Handed-over lead")
    make_activity(lead=kept, due_at=T0 + timedelta(hours=1), reminder_offset=0)
    make_activity(lead=handed_over, due_at=T0 + timedelta(hours=1), reminder_offset=0)
    make_activity(deal=cast.deal_a2, due_at=T0 + timedelta(hours=1), reminder_offset=0)
    Lead.objects.filter(pk=handed_over.pk).update(owner=cast.rep_b, team=cast.rep_b.team)
    at(T0 + timedelta(hours=1))

    dispatch()

    assert sorted(Notification.objects.values_list("text", flat=True)) == [
        "Call: Call the buyer · Kept lead · due Wed 10 Jun, 13:00",
        "Call: Call the buyer · Rep A2's deal · due Wed 10 Jun, 13:00",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["rep_a2@example.com"] * 2
    assert Reminder.objects.get(activity__lead=handed_over).state == ReminderState.CANCELLED


def test_a_digest_lists_overdue_lead_activities_only_while_the_lead_is_seen(cast, at):
    from leads.models import Lead
    from tests.leads.factories import make_lead

    lead = make_lead(owner=cast.rep_a, title="Warm lead")
    make_activity(lead=lead, due_date=date(2026, 6, 1), subject="Old lead call")
    assert [a.subject for a in digest_for(cast.rep_a).own.overdue] == ["Old lead call"]

    Lead.objects.filter(pk=lead.pk).update(owner=cast.rep_b, team=cast.rep_b.team)

    assert digest_for(cast.rep_a).own.overdue == []

"""The morning digest: 08:00 in each user's time zone, once a day, opt-out per user."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail

from activities.models import Digest, DigestState
from activities.queries import digest_for
from activities.services import digest_send
from pipeline.models import Deal
from teams.models import ReminderOffset
from tests.activities.factories import make_activity
from tests.factories import make_deal

# A Wednesday; New York is on EDT (UTC-4), Berlin on CEST (UTC+2).
T0 = datetime(2026, 6, 10, 5, 0, tzinfo=UTC)


@pytest.fixture
def at(time_machine):
    def move(moment: datetime) -> None:
        time_machine.move_to(moment, tick=False)

    move(T0)
    return move


@pytest.fixture
def quiet_cast(cast):
    """The cast with digests off for all but the people a test turns them on for."""
    type(cast.rep_a).objects.update(receives_digest=False)
    return cast


def turn_on(user, time_zone="UTC"):
    user.receives_digest = True
    user.time_zone = time_zone
    user.save()


def overdue_for(deal, when):
    return make_activity(deal=deal, due_date=when, reminder_offset=None, subject="Send the offer")


def test_digest_goes_out_at_eight_local_time_once(quiet_cast, at, dispatch_digests):
    cast = quiet_cast
    turn_on(cast.rep_a, "Europe/Berlin")
    overdue_for(cast.deal_a, date(2026, 6, 8))

    at(datetime(2026, 6, 10, 5, 59, tzinfo=UTC))  # 07:59 in Berlin
    assert dispatch_digests() == 0
    at(datetime(2026, 6, 10, 6, 0, tzinfo=UTC))  # 08:00
    assert dispatch_digests() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rep_a@example.com"]
    assert "1 overdue," in message.subject
    assert "Send the offer" in message.body

    at(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    assert dispatch_digests() == 0
    assert len(mail.outbox) == 1
    assert Digest.objects.get().state == DigestState.SENT

    at(datetime(2026, 6, 11, 6, 0, tzinfo=UTC))  # the next morning
    assert dispatch_digests() == 1
    assert len(mail.outbox) == 2


def test_digest_hour_moves_with_dst(quiet_cast, at, dispatch_digests):
    """08:00 in New York is 13:00 UTC in winter and 12:00 UTC in summer."""
    cast = quiet_cast
    turn_on(cast.rep_a, "America/New_York")
    overdue_for(cast.deal_a, date(2026, 1, 2))
    at(datetime(2026, 3, 6, 12, 30, tzinfo=UTC))  # Friday 07:30 EST
    assert dispatch_digests() == 0
    at(datetime(2026, 3, 6, 13, 0, tzinfo=UTC))
    assert dispatch_digests() == 1
    at(datetime(2026, 3, 9, 11, 59, tzinfo=UTC))  # Monday 07:59 EDT
    assert dispatch_digests() == 0
    at(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    assert dispatch_digests() == 1
    assert list(Digest.objects.order_by("day").values_list("day", flat=True)) == [
        date(2026, 3, 6),
        date(2026, 3, 9),
    ]


def test_a_user_who_turned_digests_off_gets_none(quiet_cast, at, dispatch_digests):
    cast = quiet_cast
    overdue_for(cast.deal_a, date(2026, 6, 1))
    at(datetime(2026, 6, 10, 8, 0, tzinfo=UTC))
    assert dispatch_digests() == 0
    assert mail.outbox == []


def test_nothing_to_report_sends_nothing(quiet_cast, at, dispatch_digests):
    cast = quiet_cast
    turn_on(cast.rep_a)
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 12), reminder_offset=None)
    at(datetime(2026, 6, 10, 8, 0, tzinfo=UTC))
    assert dispatch_digests() == 1
    assert mail.outbox == []
    assert Digest.objects.get().state == DigestState.EMPTY


def test_a_morning_missed_by_the_workers_is_caught_up_until_noon_only(
    quiet_cast, at, dispatch_digests
):
    cast = quiet_cast
    turn_on(cast.rep_a)
    overdue_for(cast.deal_a, date(2026, 6, 1))
    at(datetime(2026, 6, 10, 11, 59, tzinfo=UTC))
    assert dispatch_digests() == 1
    at(datetime(2026, 6, 11, 12, 0, tzinfo=UTC))
    assert dispatch_digests() == 0
    assert len(mail.outbox) == 1


def test_a_stale_claim_is_sent_again_and_a_sent_digest_never(
    quiet_cast, at, dispatch_digests, settings
):
    cast = quiet_cast
    turn_on(cast.rep_a)
    overdue_for(cast.deal_a, date(2026, 6, 1))
    at(datetime(2026, 6, 10, 8, 0, tzinfo=UTC))
    Digest.objects.create(recipient=cast.rep_a, day=date(2026, 6, 10), queued_at=T0)
    at(datetime(2026, 6, 10, 8, 0, tzinfo=UTC) + timedelta(seconds=30))
    # A claim whose task was lost, older than the lease, is queued again.
    assert dispatch_digests() == 1
    assert len(mail.outbox) == 1
    assert digest_send(digest_id=Digest.objects.get().pk) is False
    assert len(mail.outbox) == 1


def test_digest_lists_overdue_rotting_and_deals_without_next_step(cast, at):
    stage = cast.pipeline.stages.first()  # rots after 14 days
    rotting = make_deal(
        owner=cast.rep_a, stage=stage, title="Stuck deal", created_at=T0 - timedelta(days=20)
    )
    make_activity(deal=rotting, due_date=date(2026, 6, 20), reminder_offset=None)
    fresh = make_deal(owner=cast.rep_a, stage=stage, title="Fresh deal")
    make_activity(deal=fresh, due_date=date(2026, 6, 12), reminder_offset=None)
    overdue = make_activity(
        deal=fresh, due_date=date(2026, 6, 9), reminder_offset=None, subject="Overdue call"
    )
    # deal_a has no activity at all: no next step.
    content = digest_for(cast.rep_a)
    assert content.own.overdue == [overdue]
    assert content.own.rotting == [rotting]
    assert content.own.idle == [cast.deal_a]
    assert content.team == []


def test_timed_activity_is_overdue_once_its_time_passed(cast, at):
    make_activity(
        deal=cast.deal_a,
        due_at=T0 + timedelta(minutes=5),
        reminder_offset=ReminderOffset.AT_TIME,
    )
    assert digest_for(cast.rep_a).own.overdue_count == 0
    at(T0 + timedelta(minutes=6))
    assert digest_for(cast.rep_a).own.overdue_count == 1


def test_managers_digest_summarises_each_rep_of_their_teams(cast, at, dispatch_digests):
    stage = cast.pipeline.stages.first()
    make_deal(owner=cast.rep_a2, stage=stage, created_at=T0 - timedelta(days=30))
    overdue_for(cast.deal_a, date(2026, 6, 1))
    overdue_for(cast.deal_a, date(2026, 6, 2))
    content = digest_for(cast.manager_a)
    rows = {row.person.username: row for row in content.team}
    assert set(rows) == {"rep_a", "rep_a2"}  # never rep_b of the other team
    assert (rows["rep_a"].overdue_count, rows["rep_a"].rotting_count) == (2, 0)
    assert rows["rep_a"].idle_count == 0
    assert (rows["rep_a2"].rotting_count, rows["rep_a2"].idle_count) == (1, 2)

    at(datetime(2026, 6, 10, 8, 0, tzinfo=UTC))
    dispatch_digests()
    body = next(m.body for m in mail.outbox if m.to == ["manager_a@example.com"])
    assert "Rep_A: 2 / 0 / 0" in body
    assert "Rep_A2: 0 / 1 / 2" in body
    assert "Rep_B" not in body


def test_digest_queries_do_not_grow_with_the_team(cast, at, django_assert_max_num_queries):
    stage = cast.pipeline.stages.first()
    for _ in range(5):
        deal = make_deal(owner=cast.rep_a2, stage=stage)
        overdue_for(deal, date(2026, 6, 1))
    with django_assert_max_num_queries(8):
        digest_for(cast.manager_a)
    assert Deal.objects.filter(owner=cast.rep_a2).count() == 6

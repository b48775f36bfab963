"""`with_next_activity`: what the board shows on each card, in one query."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from activities.models import ActivityType
from activities.queries import with_next_activity
from activities.services import activity_complete
from pipeline.models import Deal
from tests.activities.factories import make_activity
from tests.factories import make_deal

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)


def annotated(deal: Deal) -> Deal:
    return with_next_activity(Deal.objects.filter(pk=deal.pk)).get()


def test_deal_without_open_activity_has_no_next_activity(cast):
    done = make_activity(deal=cast.deal_a, due_date=date(2026, 6, 11))
    activity_complete(activity=done, actor=cast.rep_a)
    deal = annotated(cast.deal_a)
    assert deal.next_activity_id is None
    assert deal.next_activity_type is None
    assert deal.next_activity_due_date is None
    assert deal.next_activity_due_at is None
    assert deal.next_activity_is_overdue is False


def test_next_activity_is_the_earliest_open_one(cast):
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 20), type=ActivityType.TASK)
    timed = make_activity(
        deal=cast.deal_a,
        due_at=datetime(2026, 6, 12, 9, 0, tzinfo=UTC),
        type=ActivityType.MEETING,
        subject="Demo",
    )
    earlier_done = make_activity(deal=cast.deal_a, due_date=date(2026, 6, 11))
    activity_complete(activity=earlier_done, actor=cast.rep_a)
    make_activity(deal=cast.deal_b, due_date=date(2026, 6, 10))  # another deal's

    deal = annotated(cast.deal_a)
    assert deal.next_activity_id == timed.pk
    assert deal.next_activity_type == ActivityType.MEETING
    assert deal.next_activity_subject == "Demo"
    assert deal.next_activity_due_date == date(2026, 6, 12)
    assert deal.next_activity_due_at == datetime(2026, 6, 12, 9, 0, tzinfo=UTC)
    assert deal.next_activity_is_overdue is False


def test_all_day_activity_comes_before_a_timed_one_on_the_same_day(cast):
    make_activity(deal=cast.deal_a, due_at=datetime(2026, 6, 12, 7, 0, tzinfo=UTC))
    all_day = make_activity(deal=cast.deal_a, due_date=date(2026, 6, 12))
    assert annotated(cast.deal_a).next_activity_id == all_day.pk


def test_timed_activity_is_overdue_once_its_time_passed(cast, time_machine):
    make_activity(deal=cast.deal_a, due_at=T0 + timedelta(minutes=30))
    assert annotated(cast.deal_a).next_activity_is_overdue is False
    time_machine.move_to(T0 + timedelta(minutes=31), tick=False)
    assert annotated(cast.deal_a).next_activity_is_overdue is True


def test_all_day_activity_is_overdue_from_the_next_day_in_the_viewers_zone(cast, time_machine):
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 10))
    # 12:00 UTC on the 10th: the 10th everywhere from UTC-11 to UTC+11, not overdue.
    assert annotated(cast.deal_a).next_activity_is_overdue is False
    # 23:00 UTC: already the 11th in Berlin, still the 10th in New York.
    time_machine.move_to(datetime(2026, 6, 10, 23, 0, tzinfo=UTC), tick=False)
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        assert annotated(cast.deal_a).next_activity_is_overdue is True
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert annotated(cast.deal_a).next_activity_is_overdue is False


def test_annotation_adds_no_query_per_deal(cast, django_assert_num_queries):
    stage = cast.pipeline.stages.first()
    for index in range(30):
        deal = make_deal(owner=cast.rep_a, stage=stage)
        if index % 3:
            make_activity(deal=deal, due_date=date(2026, 6, 1) + timedelta(days=index))
    with django_assert_num_queries(1):
        deals = list(with_next_activity(Deal.objects.visible_to(cast.rep_a)))
    assert len(deals) == 31
    assert sum(deal.next_activity_id is None for deal in deals) == 11
    # Due 2 to 9 June (index 1 to 8, not 3 or 6) are before today, 10 June.
    assert sum(deal.next_activity_is_overdue for deal in deals) == 6

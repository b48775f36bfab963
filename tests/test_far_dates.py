"""Dates at the ends of what `datetime` holds.

Forms refuse days outside 1 January 1900 to 31 December 2200. Rows written before that rule
(an activity due 9999-12-31 23:59 UTC, one due 0001-01-01) must still not break anyone's pages
or e-mails in any time zone: converting them to UTC+14 or UTC-11 overflows `datetime`.
"""

from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.urls import reverse

from activities.models import Activity, Reminder
from activities.services import digests_dispatch, reminders_dispatch
from crm.dates import DAY_RANGE_MESSAGE

LATEST = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
EARLIEST = datetime(1, 1, 1, 0, 0, tzinfo=UTC)
ZONES = ["Pacific/Kiritimati", "Pacific/Niue", "UTC"]


@pytest.fixture
def far_rows(cast):
    """An activity due at the last minute `datetime` holds and one due at the first, each with a
    pending reminder, on rep_a's deal; stored directly, as an old version of the app could."""
    future = Activity.objects.create(
        deal=cast.deal_a,
        assignee=cast.rep_a,
        subject="Call in the far future",
        due_date=date(9999, 12, 31),
        due_at=LATEST,
        reminder_offset=15,
    )
    past = Activity.objects.create(
        deal=cast.deal_a,
        assignee=cast.rep_a,
        subject="Call in the far past",
        due_date=date(1, 1, 1),
        due_at=EARLIEST,
        reminder_offset=15,
    )
    all_day = Activity.objects.create(
        deal=cast.deal_a,
        assignee=cast.rep_a,
        subject="All day at the end of time",
        due_date=date(9999, 12, 31),
    )
    Reminder.objects.create(activity=future, recipient=cast.rep_a, remind_at=LATEST)
    Reminder.objects.create(activity=past, recipient=cast.rep_a, remind_at=EARLIEST)
    return future, past, all_day


def pages(cast, activity) -> list[str]:
    return [
        reverse("pipeline:board-default"),
        reverse("pipeline:board", args=[cast.pipeline.pk]),
        reverse("pipeline:deal-list"),
        reverse("pipeline:deal-detail", args=[cast.deal_a.pk]),
        reverse("activities:activity-edit", args=[activity.pk]),
        reverse("activities:activity-list"),
        reverse("activities:activity-list") + "?show=all",
        reverse("activities:notification-list"),
        reverse("reporting:dashboard"),
        reverse("reporting:dashboard") + "?period=this-year",
        reverse("reporting:breakdown-csv"),
    ]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("viewer", ["rep_a", "manager_a", "admin"])
def test_far_dated_activities_do_not_break_pages_in_any_time_zone(
    client, cast, far_rows, viewer, zone
):
    user = cast.user(viewer)
    user.time_zone = zone
    user.save()
    client.force_login(user)
    for url in pages(cast, far_rows[0]):
        response = client.get(url)
        assert response.status_code == 200, url
    panel = client.get(
        reverse("activities:deal-panel", args=[cast.deal_a.pk]), HTTP_HX_REQUEST="true"
    )
    assert panel.status_code == 200
    history = client.get(
        reverse("notes:history", args=["deal", cast.deal_a.pk]), HTTP_HX_REQUEST="true"
    )
    assert history.status_code == 200
    deal_page = client.get(reverse("pipeline:deal-detail", args=[cast.deal_a.pk]))
    assert "Call in the far future" in deal_page.text
    assert "9999" in deal_page.text


@pytest.mark.parametrize("zone", ZONES)
def test_far_dated_reminders_and_digest_go_out_in_any_time_zone(
    cast, far_rows, zone, django_capture_on_commit_callbacks, settings
):
    from crm.celery import app

    cast.rep_a.time_zone = zone
    cast.rep_a.receives_digest = True
    cast.rep_a.save()
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            reminders_dispatch(now=datetime(2026, 6, 10, 8, 0, tzinfo=UTC))
        with django_capture_on_commit_callbacks(execute=True):
            # 08:00 somewhere from UTC-11 to UTC+14 within this window.
            for hour in range(0, 24):
                digests_dispatch(now=datetime(2026, 6, 10, hour, 30, tzinfo=UTC))
    finally:
        app.conf.task_always_eager = False
        app.conf.task_eager_propagates = False
    subjects = [message.subject for message in mail.outbox]
    assert any("Call in the far past" in subject for subject in subjects), subjects
    assert any(subject.startswith("Your day") or "overdue" in subject for subject in subjects), (
        subjects
    )


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
def test_activity_form_refuses_days_outside_the_supported_range(client, cast, day):
    client.force_login(cast.rep_a)
    response = client.post(
        reverse("activities:activity-create", args=[cast.deal_a.pk]),
        {
            "type": "call",
            "subject": "Far",
            "due_date": day,
            "due_time": "23:59",
            "assignee": cast.rep_a.pk,
        },
    )
    assert response.status_code in (200, 422)
    assert DAY_RANGE_MESSAGE in response.text
    assert not Activity.objects.filter(subject="Far").exists()


@pytest.mark.parametrize("day", ["1900-01-01", "2200-12-31"])
def test_activity_form_takes_the_first_and_last_supported_day(client, cast, day):
    cast.rep_a.time_zone = "Pacific/Kiritimati"
    cast.rep_a.save()
    client.force_login(cast.rep_a)
    response = client.post(
        reverse("activities:activity-create", args=[cast.deal_a.pk]),
        {
            "type": "call",
            "subject": "Edge",
            "due_date": day,
            "due_time": "23:59",
            "assignee": cast.rep_a.pk,
        },
    )
    assert response.status_code < 400
    assert Activity.objects.get(subject="Edge").due_date == date.fromisoformat(day)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_deal_form_refuses_a_far_expected_close_date(client, cast, day):
    client.force_login(cast.rep_a)
    response = client.post(
        reverse("pipeline:deal-edit", args=[cast.deal_a.pk]),
        {
            "title": "Renamed",
            "value": "10.00",
            "currency": "USD",
            "owner": cast.rep_a.pk,
            "expected_close_date": day,
            "version": cast.deal_a.version,
        },
    )
    assert DAY_RANGE_MESSAGE in response.text
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.title == "Rep A's deal"

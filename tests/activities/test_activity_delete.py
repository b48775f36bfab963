"""Deleting an activity: GET confirms (no JavaScript), POST deletes and cancels its reminder."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from activities.models import Activity, Reminder
from teams.models import ReminderOffset
from tests.activities.factories import make_activity
from tests.activities.helpers import HTMX, is_fragment, toast_message

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)


@pytest.fixture
def activity(cast):
    return make_activity(
        deal=cast.deal_a,
        due_at=T0 + timedelta(hours=3),
        reminder_offset=ReminderOffset.HOUR_1,
        subject="Call <b>the CFO</b>",
    )


def url(activity):
    return reverse("activities:activity-delete", args=[activity.pk])


def test_get_asks_for_confirmation(client, cast, activity):
    client.force_login(cast.rep_a)
    response = client.get(url(activity))
    assert response.status_code == 200
    assert "Delete this activity?" in response.text
    assert "Call &lt;b&gt;the CFO&lt;/b&gt;" in response.text
    assert Activity.objects.exists()


def test_post_deletes_it_and_its_reminder(client, cast, activity):
    client.force_login(cast.rep_a)
    response = client.post(url(activity))
    assert response.status_code == 302
    assert response.url == reverse("pipeline:deal-detail", args=[cast.deal_a.pk]) + "#activities"
    assert not Activity.objects.exists() and not Reminder.objects.exists()


def test_htmx_gets_the_refreshed_panel(client, cast, activity):
    client.force_login(cast.manager_a)
    response = client.post(url(activity), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert "No next activity" in response.text
    assert toast_message(response) == "Deleted: Call <b>the CFO</b>"  # JSON; shown as text


@pytest.mark.parametrize("viewer", ["rep_a2", "rep_b", "manager_b"])
def test_outsiders_get_404(client, cast, activity, viewer):
    client.force_login(cast.user(viewer))
    assert client.get(url(activity)).status_code == 404
    assert client.post(url(activity)).status_code == 404
    assert Activity.objects.exists()


def test_wrong_method_is_refused(client, cast, activity):
    client.force_login(cast.rep_a)
    assert client.put(url(activity)).status_code == 405
    assert client.delete(url(activity)).status_code == 405
    assert Activity.objects.exists()

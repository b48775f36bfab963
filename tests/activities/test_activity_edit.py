"""Editing an activity: /activities/<id>/edit/."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from activities.models import Activity, Reminder, ReminderState
from teams.models import ReminderOffset
from tests.activities.factories import make_activity
from tests.activities.helpers import HTMX, is_fragment, toast_message

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)


@pytest.fixture
def activity(cast):
    cast.rep_a.time_zone = "America/New_York"
    cast.rep_a.save()
    return make_activity(
        deal=cast.deal_a,
        due_at=datetime(2026, 6, 15, 14, 0, tzinfo=UTC),  # 10:00 EDT
        reminder_offset=ReminderOffset.HOUR_1,
        subject="Call the CFO",
        note="Budget question",
    )


def url(activity):
    return reverse("activities:activity-edit", args=[activity.pk])


def data(activity, **changes):
    values = {
        "type": activity.type,
        "subject": activity.subject,
        "due_date": "2026-06-15",
        "due_time": "10:00",
        "duration": "",
        "assignee": activity.assignee_id,
        "reminder_offset": activity.reminder_offset,
        "note": activity.note,
    }
    return values | changes


def test_form_shows_the_due_time_in_the_viewers_zone(client, cast, activity):
    client.force_login(cast.rep_a)
    response = client.get(url(activity))
    assert 'value="10:00"' in response.text and 'value="2026-06-15"' in response.text
    cast.manager_a.time_zone = "Europe/London"
    cast.manager_a.save()
    client.force_login(cast.manager_a)
    assert 'value="15:00"' in client.get(url(activity)).text


def test_moving_the_due_time_rearms_the_reminder(client, cast, activity):
    client.force_login(cast.rep_a)
    response = client.post(url(activity), data(activity, due_date="2026-06-16", due_time="09:30"))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.due_at == datetime(2026, 6, 16, 13, 30, tzinfo=UTC)
    states = dict(Reminder.objects.values_list("remind_at", "state"))
    assert states == {
        datetime(2026, 6, 15, 13, 0, tzinfo=UTC): ReminderState.CANCELLED,
        datetime(2026, 6, 16, 12, 30, tzinfo=UTC): ReminderState.PENDING,
    }


def test_editing_the_subject_keeps_the_reminder(client, cast, activity):
    client.force_login(cast.rep_a)
    client.post(url(activity), data(activity, subject="Call the new CFO"))
    assert Reminder.objects.get().state == ReminderState.PENDING
    assert Activity.objects.get().subject == "Call the new CFO"


def test_htmx_edit_returns_the_panel_with_the_form_then_the_saved_panel(client, cast, activity):
    client.force_login(cast.rep_a)
    response = client.get(url(activity), headers=HTMX)
    assert is_fragment(response) and "Edit activity" in response.text
    assert 'value="Call the CFO"' in response.text
    response = client.post(url(activity), data(activity, subject="Renamed"), headers=HTMX)
    assert is_fragment(response) and "Renamed" in response.text
    assert toast_message(response) == "Saved: Renamed"


def test_bad_input_changes_nothing(client, cast, activity):
    client.force_login(cast.rep_a)
    response = client.post(url(activity), data(activity, subject="", due_time="25:99"))
    assert response.status_code == 200
    assert "This field is required." in response.text and "Enter a valid time." in response.text
    assert "Budget question" in response.text
    activity.refresh_from_db()
    assert activity.subject == "Call the CFO"
    assert activity.due_at == datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
    assert Reminder.objects.get().state == ReminderState.PENDING


@pytest.mark.parametrize("viewer", ["rep_a2", "rep_b", "manager_b"])
def test_outsiders_get_404(client, cast, activity, viewer):
    client.force_login(cast.user(viewer))
    assert client.get(url(activity)).status_code == 404
    assert client.post(url(activity), data(activity, subject="Hacked")).status_code == 404
    assert Activity.objects.get().subject == "Call the CFO"


def test_unknown_activity_is_404(client, cast):
    client.force_login(cast.admin)
    assert client.get(reverse("activities:activity-edit", args=[999])).status_code == 404


def test_wrong_method_is_refused(client, cast, activity):
    client.force_login(cast.rep_a)
    assert client.patch(url(activity)).status_code == 405


def test_a_duration_set_elsewhere_survives_an_edit(client, cast, activity):
    Activity.objects.filter(pk=activity.pk).update(duration=timedelta(minutes=50))
    client.force_login(cast.rep_a)
    form = client.get(url(activity)).context["form"]
    assert form.initial["duration"] == 50
    client.post(url(activity), data(activity, duration="50"))
    assert Activity.objects.get().duration == timedelta(minutes=50)

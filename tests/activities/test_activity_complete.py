"""Completing an activity: POST /activities/<id>/complete/, then the offer of a next step."""

from datetime import UTC, date, datetime, timedelta

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
    return make_activity(
        deal=cast.deal_a,
        due_at=T0 + timedelta(hours=3),
        reminder_offset=ReminderOffset.HOUR_1,
        subject="Call the CFO",
    )


def url(activity):
    return reverse("activities:activity-complete", args=[activity.pk])


def test_completing_records_when_cancels_the_reminder_and_offers_the_next_step(
    client, cast, activity
):
    client.force_login(cast.rep_a)
    response = client.post(url(activity))
    assert response.status_code == 302
    create = reverse("activities:activity-create", args=[cast.deal_a.pk])
    assert response.url == f"{create}?after={activity.pk}"
    activity.refresh_from_db()
    assert activity.done and activity.done_at == T0
    assert Reminder.objects.get().state == ReminderState.CANCELLED
    page = client.get(response.url)
    assert "Schedule the next step" in page.text
    assert "Done: <strong>Call the CFO</strong>" in page.text


def test_htmx_gets_the_panel_with_the_next_step_form(client, cast, activity):
    client.force_login(cast.rep_a)
    response = client.post(url(activity), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert "What is the next step?" in response.text
    assert f'name="after" value="{activity.pk}"' in response.text
    assert 'name="subject"' in response.text
    assert toast_message(response) == "Done: Call the CFO"


def test_completing_twice_changes_nothing(client, cast, activity):
    client.force_login(cast.rep_a)
    client.post(url(activity))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.now", lambda: T0 + timedelta(hours=1))
        client.post(url(activity))
    activity.refresh_from_db()
    assert activity.done_at == T0


def test_from_the_activity_list_htmx_gets_the_list_with_the_next_step_link(client, cast, activity):
    client.force_login(cast.rep_a)
    response = client.post(
        url(activity),
        {"from": "agenda"},
        headers=HTMX | {"HX-Current-URL": "http://testserver/activities/?type=call"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="agenda">')
    create = reverse("activities:activity-create", args=[cast.deal_a.pk])
    assert f"{create}?after={activity.pk}" in response.text
    assert "Call the CFO" in response.text  # in the "done" alert only
    assert response.context["agenda"].type == "call"


@pytest.mark.parametrize("viewer", ["rep_a2", "rep_b", "manager_b"])
def test_outsiders_get_404(client, cast, activity, viewer):
    client.force_login(cast.user(viewer))
    assert client.post(url(activity)).status_code == 404
    assert not Activity.objects.get().done


def test_get_is_refused(client, cast, activity):
    client.force_login(cast.rep_a)
    assert client.get(url(activity)).status_code == 405
    assert not Activity.objects.get().done


def test_reopening_undoes_it_and_rearms_the_reminder(client, cast, activity):
    client.force_login(cast.rep_a)
    client.post(url(activity))
    reopen = reverse("activities:activity-reopen", args=[activity.pk])
    assert client.get(reopen).status_code == 405
    response = client.post(reopen, headers=HTMX)
    assert is_fragment(response) and toast_message(response) == "Reopened: Call the CFO"
    activity.refresh_from_db()
    assert not activity.done and activity.done_at is None
    assert Reminder.objects.filter(state=ReminderState.PENDING).count() == 1
    client.force_login(cast.rep_b)
    assert client.post(reopen).status_code == 404


def test_an_old_activity_can_be_completed(client, cast):
    old = make_activity(deal=cast.deal_a, due_date=date(2026, 5, 1), reminder_offset=None)
    client.force_login(cast.manager_a)
    client.post(url(old))
    assert Activity.objects.get(pk=old.pk).done

"""Scheduling an activity on a deal: POST /activities/deal/<deal_id>/new/."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from activities.models import Activity, ActivityType, Reminder, ReminderState
from activities.services import activity_complete
from teams.models import ReminderOffset
from tests.activities.factories import make_activity
from tests.activities.helpers import HTMX, is_fragment, toast_message

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)


def url(deal):
    return reverse("activities:activity-create", args=[deal.pk])


def form_data(assignee, **changes):
    data = {
        "type": ActivityType.MEETING,
        "subject": "Demo for the buyer",
        "due_date": "2026-06-15",
        "due_time": "10:00",
        "duration": "60",
        "assignee": assignee.pk,
        "reminder_offset": ReminderOffset.MINUTES_15,
        "note": "Bring the pricing sheet",
    }
    return data | changes


def test_rep_schedules_an_activity_in_their_time_zone(client, cast):
    cast.rep_a.time_zone = "Europe/Berlin"
    cast.rep_a.save()
    client.force_login(cast.rep_a)
    response = client.post(url(cast.deal_a), form_data(cast.rep_a))
    assert response.status_code == 302
    assert response.url == reverse("pipeline:deal-detail", args=[cast.deal_a.pk]) + "#activities"
    activity = Activity.objects.get()
    assert activity.deal == cast.deal_a and activity.created_by == cast.rep_a
    assert activity.due_at == datetime(2026, 6, 15, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert activity.due_date == date(2026, 6, 15)
    assert activity.duration == timedelta(hours=1)
    assert activity.note == "Bring the pricing sheet"
    reminder = Reminder.objects.get(activity=activity)
    assert reminder.state == ReminderState.PENDING
    assert reminder.remind_at == datetime(2026, 6, 15, 7, 45, tzinfo=UTC)
    page = client.get(response.url)
    assert "Scheduled: Demo for the buyer" in page.text  # the toast


def test_all_day_activity_has_no_time(client, cast):
    client.force_login(cast.rep_a)
    client.post(url(cast.deal_a), form_data(cast.rep_a, due_time="", duration=""))
    activity = Activity.objects.get()
    assert activity.due_at is None and activity.due_date == date(2026, 6, 15)
    assert activity.duration is None


def test_manager_schedules_for_a_rep_of_their_team(client, cast):
    client.force_login(cast.manager_a)
    response = client.post(url(cast.deal_a), form_data(cast.rep_a))
    assert response.status_code == 302
    assert Activity.objects.get().assignee == cast.rep_a


def test_htmx_request_gets_only_the_refreshed_panel(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(url(cast.deal_a), form_data(cast.rep_a), headers=HTMX)
    assert response.status_code == 200
    assert is_fragment(response)
    assert response.text.lstrip().startswith('<section id="activities"')
    assert "Demo for the buyer" in response.text
    assert "<form" in response.text and 'name="subject"' not in response.text  # form closed
    assert toast_message(response) == "Scheduled: Demo for the buyer"


def test_get_shows_a_page_and_htmx_gets_the_form_in_the_panel(client, cast):
    cast.rep_a.default_reminder_offset = ReminderOffset.DAY_1
    cast.rep_a.save()
    client.force_login(cast.rep_a)
    page = client.get(url(cast.deal_a))
    assert page.status_code == 200 and "<html" in page.text
    assert 'value="2026-06-11"' in page.text  # next working day
    assert '<option value="1440" selected>' in page.text  # the user's default reminder
    panel = client.get(url(cast.deal_a), headers=HTMX)
    assert is_fragment(panel) and 'name="subject"' in panel.text


def test_bad_input_rerenders_with_errors_and_keeps_what_was_typed(client, cast):
    client.force_login(cast.rep_a)
    data = form_data(cast.rep_a, subject="", due_date="not a date")
    response = client.post(url(cast.deal_a), data)
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert "Enter a valid date." in response.text
    assert "Bring the pricing sheet" in response.text
    assert 'value="not a date"' in response.text
    assert not Activity.objects.exists()

    response = client.post(url(cast.deal_a), data, headers=HTMX)
    assert is_fragment(response) and "This field is required." in response.text
    assert "Bring the pricing sheet" in response.text
    assert not Activity.objects.exists()


def test_a_time_skipped_by_daylight_saving_is_refused(client, cast):
    cast.rep_a.time_zone = "Europe/Berlin"
    cast.rep_a.save()
    client.force_login(cast.rep_a)
    response = client.post(
        url(cast.deal_a), form_data(cast.rep_a, due_date="2027-03-28", due_time="02:30")
    )
    assert response.status_code == 200
    assert "02:30 does not exist on 2027-03-28 in Europe/Berlin" in response.text
    assert not Activity.objects.exists()


def test_cannot_assign_to_someone_who_cannot_see_the_deal(client, cast):
    client.force_login(cast.manager_a)
    for outsider in (cast.rep_a2, cast.rep_b, cast.manager_b):
        response = client.post(url(cast.deal_a), form_data(outsider))
        assert response.status_code == 200
        assert "Select a valid choice" in response.text
    assert not Activity.objects.exists()


def test_assignee_choices_are_the_people_who_see_the_deal(client, cast):
    client.force_login(cast.manager_a)
    response = client.get(url(cast.deal_a))
    choices = response.context["form"].fields["assignee"].queryset
    assert set(choices) == {cast.rep_a, cast.manager_a}
    client.force_login(cast.rep_a)
    response = client.get(url(cast.deal_a))
    assert set(response.context["form"].fields["assignee"].queryset) == {cast.rep_a}


@pytest.mark.parametrize("viewer", ["rep_a2", "rep_b", "manager_b"])
def test_outsiders_get_404_and_nothing_is_created(client, cast, viewer):
    client.force_login(cast.user(viewer))
    assert client.get(url(cast.deal_a)).status_code == 404
    response = client.post(url(cast.deal_a), form_data(cast.user(viewer)), headers=HTMX)
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_wrong_method_is_refused(client, cast):
    client.force_login(cast.rep_a)
    assert client.put(url(cast.deal_a)).status_code == 405
    assert client.delete(url(cast.deal_a)).status_code == 405


def test_the_next_step_form_follows_the_completed_activity(client, cast):
    done = make_activity(
        deal=cast.deal_a, due_date=date(2026, 6, 9), type=ActivityType.EMAIL, subject="Offer"
    )
    activity_complete(activity=done, actor=cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.get(url(cast.deal_a), {"after": done.pk})
    assert "Done: <strong>Offer</strong>" in response.text
    assert response.context["form"].initial["type"] == ActivityType.EMAIL
    response = client.post(
        url(cast.deal_a), form_data(cast.rep_a, after=done.pk, subject="Follow up")
    )
    assert response.status_code == 302
    assert Activity.objects.filter(done=False).get().subject == "Follow up"


def test_a_completed_activity_of_another_deal_is_not_offered(client, cast):
    other = make_activity(deal=cast.deal_a2, due_date=date(2026, 6, 9), subject="Secret")
    client.force_login(cast.manager_a)
    response = client.get(url(cast.deal_a), {"after": other.pk})
    assert "Secret" not in response.text
    client.force_login(cast.rep_a)
    assert client.get(url(cast.deal_a), {"after": other.pk}).status_code == 404
    assert client.get(url(cast.deal_a), {"after": "x"}).status_code == 200

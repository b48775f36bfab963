"""The activity screens in headless Chromium, at desktop and phone widths, with screenshots
in test-artifacts/ to look at."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from activities.models import Activity, Notification
from teams.models import ReminderOffset
from tests.activities.factories import make_activity
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_rep_schedules_completes_and_is_offered_the_next_step(new_page, cast):
    cast.rep_a.time_zone = "Europe/Berlin"
    cast.rep_a.save()
    make_activity(
        deal=cast.deal_a,
        due_date=timezone.localdate() - timedelta(days=2),
        subject="Send the revised offer",
        note="They asked for a 3-year price.",
    )
    page = new_page(cast.rep_a)
    page.goto(f"/deals/{cast.deal_a.pk}/")
    screenshot(page, "activities-deal-panel-1280")

    page.get_by_role("link", name="Schedule").click()
    page.get_by_label("Subject").fill("Demo for the buying committee")
    page.get_by_label("Type").select_option("meeting")
    page.get_by_label("Time").fill("10:30")
    page.get_by_label("Duration").select_option("60")
    screenshot(page, "activities-deal-panel-form-1280")
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("Scheduled: Demo for the buying committee").wait_for()
    assert page.url.endswith(f"/deals/{cast.deal_a.pk}/")  # no page load: htmx
    activity = Activity.objects.get(subject="Demo for the buying committee")
    assert timezone.localtime(activity.due_at, cast.rep_a.zoneinfo).strftime("%H:%M") == "10:30"

    page.get_by_role("button", name="Mark “Send the revised offer” done").click()
    page.get_by_text("What is the next step?").wait_for()
    screenshot(page, "activities-deal-panel-next-step-1280")
    page.get_by_label("Subject").fill("Call about the 3-year price")
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("Scheduled: Call about the 3-year price").wait_for()
    assert Activity.objects.filter(done=False).count() == 2
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "activities-deal-panel-390")
    page.get_by_role("link", name="Edit “Call about the 3-year price”").click()
    page.get_by_role("button", name="Save").wait_for()
    screenshot(page, "activities-deal-panel-edit-390")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Save").wait_for(state="detached")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Delete “Call about the 3-year price”").click()
    page.get_by_text("Deleted: Call about the 3-year price").wait_for()
    assert not Activity.objects.filter(subject="Call about the 3-year price").exists()


def test_bad_input_in_the_panel_keeps_what_was_typed(new_page, cast):
    page = new_page(cast.rep_a)
    page.goto(f"/deals/{cast.deal_a.pk}/")
    page.get_by_role("link", name="Schedule").click()
    page.get_by_label("Note", exact=True).fill("Keep me")
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("This field is required.").wait_for()
    assert page.get_by_label("Note", exact=True).input_value() == "Keep me"
    screenshot(page, "activities-deal-panel-errors-1280")


@pytest.mark.parametrize("width", [1280, 390])
def test_activity_list_and_notifications(new_page, cast, width):
    today = timezone.localdate()
    for days, subject in [(-3, "Overdue proposal"), (0, "Today's call"), (9, "Quarterly review")]:
        make_activity(deal=cast.deal_a, due_date=today + timedelta(days=days), subject=subject)
    make_activity(
        deal=cast.deal_a,
        due_at=timezone.now() + timedelta(hours=2),
        subject="Pricing call with a long subject that has to wrap on a phone screen",
        reminder_offset=ReminderOffset.MINUTES_15,
    )
    Notification.objects.create(
        recipient=cast.manager_a, deal=cast.deal_a, text="Call: Pricing call · due today 14:00"
    )
    page = new_page(cast.manager_a, width=width)
    page.goto(f"/activities/?person={cast.rep_a.pk}")
    page.get_by_role("button", name="Mark “Overdue proposal” done").wait_for()
    screenshot(page, f"activities-list-{width}")

    bell = page.locator("#notification-bell")
    assert bell.locator("[data-unread]").inner_text() == "1"
    Notification.objects.create(recipient=cast.manager_a, text="Another one")
    page.evaluate("htmx.trigger(document.body, 'notifications-changed')")
    # Predicates are functions: a string expression is eval'd, which the CSP refuses.
    page.wait_for_function(
        "() => document.querySelector('#notification-bell [data-unread]')?.textContent === '2'"
    )

    bell.click()
    page.get_by_role("heading", name="Notifications").wait_for()
    screenshot(page, f"activities-notifications-{width}")
    page.get_by_role("button", name="Mark all as read").click()
    page.wait_for_function("() => !document.querySelector('#notification-bell [data-unread]')")
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_manager_switches_to_a_rep_without_reload(new_page, cast):
    make_activity(deal=cast.deal_a2, due_date=date.today(), subject="Rep A2 calls")
    page = new_page(cast.manager_a)
    page.goto("/activities/")
    page.get_by_label("Whose activities").select_option(str(cast.rep_a2.pk))
    page.get_by_role("button", name="Mark “Rep A2 calls” done").wait_for()
    assert f"person={cast.rep_a2.pk}" in page.url

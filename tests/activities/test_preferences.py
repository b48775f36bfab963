"""Each user's reminder default and digest opt-out, in their profile."""

from django.urls import reverse

from teams.models import ReminderOffset


def profile_data(user, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": user.time_zone,
        "default_reminder_offset": ReminderOffset.MINUTES_15,
        "receives_digest": "on",
    }
    return data | changes


def test_profile_saves_the_default_reminder_and_the_digest_opt_out(client, cast):
    client.force_login(cast.rep_a)
    page = client.get(reverse("profile"))
    assert "Default reminder" in page.text and "Morning digest" in page.text
    data = profile_data(cast.rep_a, default_reminder_offset=ReminderOffset.HOUR_1)
    del data["receives_digest"]  # an unticked box is not sent
    response = client.post(reverse("profile"), data)
    assert response.status_code == 302
    cast.rep_a.refresh_from_db()
    assert cast.rep_a.default_reminder_offset == ReminderOffset.HOUR_1
    assert cast.rep_a.receives_digest is False


def test_no_reminder_can_be_the_default(client, cast):
    client.force_login(cast.rep_a)
    client.post(reverse("profile"), profile_data(cast.rep_a, default_reminder_offset=""))
    cast.rep_a.refresh_from_db()
    assert cast.rep_a.default_reminder_offset is None
    form = client.get(reverse("activities:activity-create", args=[cast.deal_a.pk])).context["form"]
    assert form.initial["reminder_offset"] is None


def test_new_users_get_a_15_minute_reminder_and_the_digest(cast):
    assert cast.rep_a.default_reminder_offset == ReminderOffset.MINUTES_15
    assert cast.rep_a.receives_digest is True

"""The bell in the header, the notification list and marking notifications read."""

import pytest
from django.urls import reverse

from activities.models import Notification
from tests.activities.helpers import HTMX, is_fragment, toast_message

LIST = reverse("activities:notification-list")
BELL = reverse("activities:notification-bell")
READ_ALL = reverse("activities:notification-read-all")


def notify(user, count=1, deal=None, text="Call: pricing · due today"):
    return [
        Notification.objects.create(recipient=user, deal=deal, text=f"{text} {index}")
        for index in range(count)
    ]


def read_url(notification):
    return reverse("activities:notification-read", args=[notification.pk])


def test_every_page_shows_the_unread_count_in_the_bell(client, cast):
    notify(cast.rep_a, 3)
    notify(cast.rep_b, 5)
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:deal-list"))
    assert 'data-unread="3"' in response.text
    assert "Notifications: 3 unread" in response.text
    assert 'hx-trigger="every 30s, notifications-changed from:body"' in response.text


def test_bell_polling_returns_only_the_bell(client, cast):
    client.force_login(cast.rep_a)
    response = client.get(BELL, headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert "data-unread" not in response.text
    notify(cast.rep_a, 120)
    response = client.get(BELL, headers=HTMX)
    assert 'data-unread="120"' in response.text and ">99+<" in response.text


def test_a_signed_out_tab_stops_polling(client):
    response = client.get(BELL, headers=HTMX)
    assert response.status_code == 286  # htmx: stop polling


def test_bell_costs_the_same_queries_whatever_the_count(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.rep_a)
    notify(cast.rep_a, 1)
    with django_assert_max_num_queries(3) as small:  # session, user, count
        client.get(BELL)
    notify(cast.rep_a, 200)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(BELL)


def test_list_shows_only_my_notifications_newest_first(client, cast):
    notify(cast.rep_a, 2, deal=cast.deal_a)
    notify(cast.rep_b, 1, text="Someone else's")
    client.force_login(cast.rep_a)
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.text.index("due today 1") < response.text.index("due today 0")
    assert "Someone else" not in response.text


def test_list_queries_do_not_grow(client, cast, django_assert_max_num_queries):
    client.force_login(cast.rep_a)
    notify(cast.rep_a, 2, deal=cast.deal_a)
    with django_assert_max_num_queries(6) as small:
        client.get(LIST)
    notify(cast.rep_a, 40, deal=cast.deal_a)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(LIST)


def test_user_text_in_notifications_is_escaped(client, cast):
    notify(cast.rep_a, 1, text="<script>alert(1)</script>")
    client.force_login(cast.rep_a)
    response = client.get(LIST)
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_mark_as_read_with_htmx_swaps_the_item_and_refreshes_the_bell(client, cast):
    (notification,) = notify(cast.rep_a, 1)
    client.force_login(cast.rep_a)
    response = client.post(read_url(notification), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<li class="list-group-item')
    assert "Mark as read" not in response.text
    assert "notifications-changed" in response.headers["HX-Trigger"]
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_as_read_without_javascript_goes_back_to_the_list(client, cast):
    (notification,) = notify(cast.rep_a, 1)
    client.force_login(cast.rep_a)
    response = client.post(read_url(notification))
    assert response.status_code == 302 and response.url == LIST
    assert Notification.objects.get().read_at is not None


def test_opening_a_notification_marks_it_read_and_goes_to_the_deal(client, cast):
    (notification,) = notify(cast.rep_a, 1, deal=cast.deal_a)
    client.force_login(cast.rep_a)
    target = reverse("pipeline:deal-detail", args=[cast.deal_a.pk]) + "#activities"
    response = client.post(read_url(notification), {"next": target})
    assert response.status_code == 302 and response.url == target
    assert Notification.objects.get().read_at is not None


def test_an_outside_next_is_not_followed(client, cast):
    (notification,) = notify(cast.rep_a, 1)
    client.force_login(cast.rep_a)
    response = client.post(read_url(notification), {"next": "https://evil.example/"})
    assert response.url == LIST


def test_someone_elses_notification_is_404(client, cast):
    (notification,) = notify(cast.rep_b, 1)
    client.force_login(cast.rep_a)
    assert client.post(read_url(notification)).status_code == 404
    assert Notification.objects.get().read_at is None


def test_mark_as_read_refuses_get(client, cast):
    (notification,) = notify(cast.rep_a, 1)
    client.force_login(cast.rep_a)
    assert client.get(read_url(notification)).status_code == 405
    assert client.get(READ_ALL).status_code == 405
    assert Notification.objects.get().read_at is None


def test_mark_all_as_read(client, cast):
    notify(cast.rep_a, 3)
    notify(cast.rep_b, 2)
    client.force_login(cast.rep_a)
    response = client.post(READ_ALL, headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<div id="notifications">')
    assert toast_message(response) == "Marked 3 notifications as read."
    assert Notification.objects.filter(read_at__isnull=True).count() == 2  # rep_b's
    response = client.post(READ_ALL)
    assert response.status_code == 302


@pytest.mark.parametrize("count", [0, 31])
def test_list_pages_and_empty_state(client, cast, count):
    notify(cast.rep_a, count)
    client.force_login(cast.rep_a)
    response = client.get(LIST)
    if count:
        assert "Page 1 of 2" in response.text
    else:
        assert "No notifications yet" in response.text

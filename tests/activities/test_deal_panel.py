"""The activity panel on the deal page, and its htmx refresh view."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from activities.services import activity_complete
from pipeline.models import DealStatus
from tests.activities.factories import make_activity
from tests.activities.helpers import HTMX, is_fragment
from tests.conftest import VISIBILITY_CASES

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)


def deal_page(client, deal):
    return client.get(reverse("pipeline:deal-detail", args=[deal.pk]))


def test_deal_page_lists_open_activities_next_first_with_overdue_in_red(client, cast):
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 20), subject="Later task")
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 8), subject="Late call")
    done = make_activity(deal=cast.deal_a, due_date=date(2026, 6, 9), subject="Earlier demo")
    activity_complete(activity=done, actor=cast.rep_a)
    client.force_login(cast.rep_a)
    text = deal_page(client, cast.deal_a).text
    assert text.index("Late call") < text.index("Later task")
    late = text[text.index("Late call") : text.index("Later task")]
    assert "text-danger" in late and "Overdue" in late
    assert "Done (1)" in text and "Earlier demo" in text
    assert "No next activity" not in text


def test_deal_page_marks_a_deal_with_no_next_activity(client, cast):
    client.force_login(cast.rep_a)
    response = deal_page(client, cast.deal_a)
    assert "data-no-next-activity" in response.text
    assert reverse("activities:activity-create", args=[cast.deal_a.pk]) in response.text


def test_times_are_shown_in_the_viewers_zone(client, cast):
    make_activity(deal=cast.deal_a, due_at=datetime(2026, 6, 11, 7, 30, tzinfo=UTC))
    cast.manager_a.time_zone = "Asia/Kolkata"  # UTC+5:30
    cast.manager_a.save()
    client.force_login(cast.manager_a)
    assert "Tomorrow, 13:00" in deal_page(client, cast.deal_a).text
    client.force_login(cast.rep_a)
    assert "Tomorrow, 07:30" in deal_page(client, cast.deal_a).text


def test_user_text_is_escaped(client, cast):
    make_activity(
        deal=cast.deal_a,
        due_date=date(2026, 6, 11),
        subject="<script>alert(1)</script>",
        note="<img src=x onerror=alert(2)>",
    )
    client.force_login(cast.rep_a)
    text = deal_page(client, cast.deal_a).text
    assert "<script>alert(1)</script>" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_closed_deal_still_shows_its_activities(client, cast):
    cast.deal_a.status, cast.deal_a.closed_at = DealStatus.WON, T0
    cast.deal_a.save()
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 11), subject="Kick-off")
    client.force_login(cast.rep_a)
    assert "Kick-off" in deal_page(client, cast.deal_a).text


def test_deal_page_queries_do_not_grow_with_activities(client, cast, django_assert_max_num_queries):
    client.force_login(cast.rep_a)
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 11))
    with django_assert_max_num_queries(11) as small:
        deal_page(client, cast.deal_a)
    for day in range(25):
        activity = make_activity(deal=cast.deal_a, due_date=date(2026, 6, 1) + timedelta(day))
        if day % 2:
            activity_complete(activity=activity, actor=cast.rep_a)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = deal_page(client, cast.deal_a)
    assert response.text.count('id="activity-') == 1 + 13  # open ones; done ones have no id


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_panel_follows_deal_visibility(client, cast, viewer, deal, visible):
    client.force_login(cast.user(viewer))
    response = client.get(reverse("activities:deal-panel", args=[cast.deal(deal).pk]), headers=HTMX)
    assert response.status_code == (200 if visible else 404)


def test_panel_view_returns_only_the_panel_to_htmx(client, cast):
    client.force_login(cast.rep_a)
    response = client.get(reverse("activities:deal-panel", args=[cast.deal_a.pk]), headers=HTMX)
    assert response.status_code == 200
    assert is_fragment(response)
    assert response.text.lstrip().startswith('<section id="activities"')


def test_panel_view_without_htmx_goes_to_the_deal_page(client, cast):
    client.force_login(cast.rep_a)
    response = client.get(reverse("activities:deal-panel", args=[cast.deal_a.pk]))
    assert response.status_code == 302
    assert response.url == reverse("pipeline:deal-detail", args=[cast.deal_a.pk]) + "#activities"


def test_panel_view_refuses_post(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(reverse("activities:deal-panel", args=[cast.deal_a.pk]))
    assert response.status_code == 405

"""/activities/: my activities by overdue, today, this week and later; filters; a manager's
switch to the reps of their teams."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from activities.models import Activity, ActivityType
from activities.services import activity_complete
from tests.activities.factories import make_activity
from tests.activities.helpers import HTMX, is_fragment
from tests.factories import make_deal

# Wednesday 10 June 2026, 12:00 UTC; the week ends on Sunday 14 June.
T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
URL = reverse("activities:activity-list")


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)


def sections(response) -> dict[str, list[str]]:
    return {
        section.key: [activity.subject for activity in section.activities]
        for section in response.context["agenda"].sections
    }


def test_open_activities_are_grouped_by_when_they_are_due(client, cast):
    deal = cast.deal_a
    make_activity(deal=deal, due_date=date(2026, 6, 9), subject="Yesterday all day")
    make_activity(deal=deal, due_at=datetime(2026, 6, 10, 11, 0, tzinfo=UTC), subject="Passed")
    make_activity(deal=deal, due_at=datetime(2026, 6, 10, 15, 0, tzinfo=UTC), subject="At 15")
    make_activity(deal=deal, due_date=date(2026, 6, 10), subject="Today all day")
    make_activity(deal=deal, due_date=date(2026, 6, 14), subject="Sunday")
    make_activity(deal=deal, due_at=datetime(2026, 6, 15, 0, 30, tzinfo=UTC), subject="Monday")
    done = make_activity(deal=deal, due_date=date(2026, 6, 9), subject="Done one")
    activity_complete(activity=done, actor=cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.get(URL)
    assert sections(response) == {
        "overdue": ["Yesterday all day", "Passed"],
        "today": ["Today all day", "At 15"],
        "week": ["Sunday"],
        "later": ["Monday"],
    }
    assert "Done one" not in response.text


def test_days_are_the_viewers(client, cast):
    """At 12:00 UTC it is already 00:00 on Thursday in Auckland (UTC+12)."""
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 10), subject="Wednesday")
    make_activity(
        deal=cast.deal_a, due_at=datetime(2026, 6, 10, 13, 0, tzinfo=UTC), subject="Thu 01:00"
    )
    cast.rep_a.time_zone = "Pacific/Auckland"
    cast.rep_a.save()
    client.force_login(cast.rep_a)
    response = client.get(URL)
    assert sections(response)["overdue"] == ["Wednesday"]
    assert sections(response)["today"] == ["Thu 01:00"]
    assert "times in Pacific/Auckland" in response.text


def test_filters_by_type_and_done(client, cast):
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 11), subject="A call")
    make_activity(
        deal=cast.deal_a, due_date=date(2026, 6, 11), subject="A meeting", type=ActivityType.MEETING
    )
    done = make_activity(deal=cast.deal_a, due_date=date(2026, 6, 9), subject="Done call")
    activity_complete(activity=done, actor=cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.get(URL, {"type": "meeting"})
    assert sections(response)["week"] == ["A meeting"]
    response = client.get(URL, {"status": "done"})
    assert sections(response) == {"done": ["Done call"]}
    response = client.get(URL, {"status": "all", "type": "call"})
    assert sections(response)["week"] == ["A call"] and sections(response)["done"] == ["Done call"]
    response = client.get(URL, {"status": "nonsense", "type": "nonsense"})
    assert response.context["agenda"].status == "open"
    assert response.context["agenda"].type == ""


def test_manager_switches_to_a_rep_of_their_team(client, cast):
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 11), subject="Rep A's call")
    client.force_login(cast.manager_a)
    page = client.get(URL)
    people = list(page.context["people"])
    assert set(people) == {cast.manager_a, cast.rep_a, cast.rep_a2}
    response = client.get(URL, {"person": cast.rep_a.pk})
    assert response.status_code == 200
    assert sections(response)["week"] == ["Rep A's call"]
    assert "Activities of <strong>Rep_A</strong>" in response.text


@pytest.mark.parametrize(
    ("viewer", "person"),
    [("manager_a", "rep_b"), ("manager_a", "manager_b"), ("rep_a", "rep_a2"), ("rep_b", "rep_a")],
)
def test_nobody_opens_the_list_of_someone_outside_their_teams(client, cast, viewer, person):
    client.force_login(cast.user(viewer))
    assert client.get(URL, {"person": cast.user(person).pk}).status_code == 404


def test_a_bad_person_id_is_404(client, cast):
    client.force_login(cast.manager_a)
    assert client.get(URL, {"person": "1 OR 1=1"}).status_code == 404


def test_activities_on_deals_the_viewer_cannot_see_are_not_listed(client, cast):
    """Even one of the viewer's reps' activities, when it sits on another team's deal."""
    Activity.objects.create(
        deal=cast.deal_b, assignee=cast.rep_a, subject="Elsewhere", due_date=date(2026, 6, 11)
    )
    client.force_login(cast.manager_a)
    response = client.get(URL, {"person": cast.rep_a.pk})
    assert "Elsewhere" not in response.text
    client.force_login(cast.admin)
    assert "Elsewhere" in client.get(URL, {"person": cast.rep_a.pk}).text


def test_htmx_request_gets_only_the_agenda(client, cast):
    client.force_login(cast.rep_a)
    response = client.get(URL, {"type": "call"}, headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<div id="agenda">')


def test_post_is_refused(client, cast):
    client.force_login(cast.rep_a)
    assert client.post(URL).status_code == 405


def test_empty_list_says_so(client, cast):
    client.force_login(cast.rep_a)
    response = client.get(URL)
    assert "No activities to do." in response.text
    assert "Pick one of your reps" not in response.text
    response = client.get(URL, {"type": "meeting"})
    assert "No activities match these filters." in response.text
    client.force_login(cast.manager_a)
    assert "Pick one of your reps above" in client.get(URL).text


def test_a_section_with_nothing_says_so(client, cast):
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 11))
    client.force_login(cast.rep_a)
    assert "Nothing overdue." in client.get(URL).text


def fill(cast, count: int) -> None:
    """`count` activities of rep_a, spread over all four sections."""
    stage = cast.pipeline.stages.first()
    days = [1, 10, 12, 20, 5, 11, 25]
    for index in range(count):
        deal = make_deal(owner=cast.rep_a, stage=stage)
        day = date(2026, 6, days[index % len(days)])
        make_activity(deal=deal, due_date=day, subject=f"Call {index}")


@pytest.mark.parametrize("viewer", ["rep_a", "manager_a"])
def test_queries_do_not_grow_with_the_list(client, cast, viewer, django_assert_max_num_queries):
    """Session, user, bell, counts, four sections and, for a manager, the people list."""
    fill(cast, 4)
    client.force_login(cast.user(viewer))
    params = {"person": cast.rep_a.pk}
    with django_assert_max_num_queries(10) as small:
        client.get(URL, params)
    fill(cast, 60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL, params)
    assert response.context["agenda"].total == 64

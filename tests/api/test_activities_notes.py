"""Activities and notes through the API: visible exactly when their deal (or record) is."""

from datetime import date

import pytest

from activities.models import Activity
from activities.services import activity_create
from notes.models import Note
from tests.conftest import VISIBILITY, VISIBILITY_CASES
from tests.factories import make_organization
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def activities(cast):
    return {
        name: activity_create(
            deal=cast.deal(name),
            actor=cast.deal(name).owner,
            type="call",
            subject=f"Call about {name}",
            assignee=cast.deal(name).owner,
            due_date=date(2030, 1, 7),
        )
        for name in ("deal_a", "deal_a2", "deal_b")
    }


@pytest.mark.parametrize("viewer", list(VISIBILITY))
def test_activity_list_follows_deal_visibility(api_as, activities, viewer):
    response = api_as(viewer, scope="read").get("/api/v1/activities")
    subjects = {row["subject"] for row in response.json()["results"]}
    assert subjects == {f"Call about {name}" for name in VISIBILITY[viewer]}


@pytest.mark.parametrize("scope", ["read", "write"])
@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_activity_detail_matrix(api_as, activities, viewer, deal, visible, scope):
    activity = activities[deal]
    response = api_as(viewer, scope=scope).get(f"/api/v1/activities/{activity.pk}")
    assert response.status_code == (200 if visible else 404)


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_mark_done_matrix(api_as, activities, viewer, deal, visible):
    activity = activities[deal]
    response = api_as(viewer).post(f"/api/v1/activities/{activity.pk}/done")
    activity.refresh_from_db()
    assert response.status_code == (200 if visible else 404)
    assert activity.done is visible
    if visible:
        assert response.json()["done"] is True
        assert OutboxEvent.objects.filter(name="activity.done", object_id=activity.pk).exists()


def test_read_only_token_cannot_mark_done_or_schedule(api_as, cast, activities):
    api = api_as("rep_a", scope="read")
    assert api.post(f"/api/v1/activities/{activities['deal_a'].pk}/done").status_code == 403
    scheduled = api.post(
        f"/api/v1/deals/{cast.deal_a.pk}/activities", {"subject": "X", "due_date": "2030-01-08"}
    )
    assert scheduled.status_code == 403
    assert Activity.objects.filter(done=True).count() == 0 and Activity.objects.count() == 3


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_schedule_matrix(api_as, cast, viewer, deal, visible):
    response = api_as(viewer).post(
        f"/api/v1/deals/{cast.deal(deal).pk}/activities",
        {"type": "meeting", "subject": "Kick-off", "due_date": "2030-02-01", "due_time": "09:30"},
    )
    assert response.status_code == (201 if visible else 404)
    assert Activity.objects.filter(subject="Kick-off").exists() is visible


def test_schedule_uses_the_forms_rules(api_as, cast):
    api = api_as("rep_a")
    # rep_b may not see rep_a's deal: not someone the activity can be assigned to.
    refused = api.post(
        f"/api/v1/deals/{cast.deal_a.pk}/activities",
        {"subject": "X", "due_date": "2030-01-08", "assignee_id": cast.rep_b.pk},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "assignee_id"
    bad_type = api.post(
        f"/api/v1/deals/{cast.deal_a.pk}/activities",
        {"type": "telepathy", "subject": "X", "due_date": "2030-01-08"},
    )
    assert bad_type.status_code == 422 and bad_type.json()["errors"][0]["field"] == "type"
    created = api.post(
        f"/api/v1/deals/{cast.deal_a.pk}/activities",
        {"subject": "Demo", "due_date": "2030-01-08", "due_time": "14:00", "duration_minutes": 30},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["assignee_id"] == cast.rep_a.pk and body["duration_minutes"] == 30
    assert body["due_at"].startswith("2030-01-08T14:00")
    assert OutboxEvent.objects.filter(name="activity.created", object_id=body["id"]).exists()


# Notes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_deal_notes_matrix(api_as, cast, viewer, deal, visible):
    target = cast.deal(deal)
    Note.objects.create(deal=target, author=target.owner, body="Owner's note")
    api = api_as(viewer)
    listed = api.get(f"/api/v1/deals/{target.pk}/notes")
    created = api.post(f"/api/v1/deals/{target.pk}/notes", {"body": "Called them"})
    assert listed.status_code == (200 if visible else 404)
    assert created.status_code == (201 if visible else 404)
    if visible:
        assert [n["body"] for n in listed.json()["results"]] == ["Owner's note"]
        assert created.json()["author_id"] == cast.user(viewer).pk
    assert Note.objects.filter(deal=target).count() == (2 if visible else 1)


def test_notes_on_a_record_seen_through_a_deal_are_read_only(api_as, cast):
    org = make_organization("Beta", owner=cast.rep_b)
    cast.deal_a.organization = org
    cast.deal_a.save()
    api = api_as("rep_a")
    assert api.get(f"/api/v1/organizations/{org.pk}/notes").status_code == 200
    assert api.post(f"/api/v1/organizations/{org.pk}/notes", {"body": "Mine"}).status_code == 403
    assert api_as("rep_a2").get(f"/api/v1/organizations/{org.pk}/notes").status_code == 404
    assert (
        api_as("rep_b").post(f"/api/v1/organizations/{org.pk}/notes", {"body": "Ok"}).status_code
        == 201
    )


def test_read_only_token_cannot_add_notes(api_as, cast):
    response = api_as("rep_a", scope="read").post(
        f"/api/v1/deals/{cast.deal_a.pk}/notes", {"body": "x"}
    )
    assert response.status_code == 403
    assert not Note.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "x" * 20001])
def test_empty_or_huge_note_is_422(api_as, cast, body):
    response = api_as("rep_a").post(f"/api/v1/deals/{cast.deal_a.pk}/notes", {"body": body})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert not Note.objects.exists()


@pytest.mark.parametrize("viewer", ["rep_a", "manager_a", "admin"])
def test_activity_and_note_lists_cost_the_same_queries_at_two_sizes(
    api_as, cast, activities, assert_max_queries, viewer
):
    api = api_as(viewer)
    api.get("/api/v1/activities")
    urls = ["/api/v1/activities", f"/api/v1/deals/{cast.deal_a.pk}/notes"]
    small = []
    for url in urls:
        with assert_max_queries(4) as context:
            assert api.get(url).status_code == 200
        small.append(len(context.captured_queries))
    for number in range(12):
        activity_create(
            deal=cast.deal_a,
            actor=cast.rep_a,
            type="task",
            subject=f"Task {number}",
            assignee=cast.rep_a,
            due_date=date(2030, 2, 1),
        )
        Note.objects.create(deal=cast.deal_a, author=cast.rep_a, body=f"Note {number}")
    for url, before in zip(urls, small, strict=True):
        with assert_max_queries(4) as context:
            assert len(api.get(url, {"limit": 10}).json()["results"]) == 10
        assert len(context.captured_queries) == before

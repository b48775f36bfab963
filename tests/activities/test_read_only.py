"""Every activity write goes through `deal_for_user(..., write=True)`: someone who may see a
deal but not change it gets 403 and changes nothing.

Today everyone who sees a deal may change it, so this stands in a read-only viewer by making
`can_change_deal` refuse.
"""

from datetime import date

import pytest
from django.urls import reverse

from activities.models import Activity
from activities.services import activity_complete
from tests.activities.factories import make_activity
from tests.activities.helpers import HTMX


@pytest.fixture
def read_only(monkeypatch):
    def refuse(user, deal) -> bool:
        return False

    monkeypatch.setattr("pipeline.access.can_change_deal", refuse)
    monkeypatch.setattr("activities.queries.can_change_deal", refuse)


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("activity-create", "get"),
        ("activity-create", "post"),
        ("activity-edit", "get"),
        ("activity-edit", "post"),
        ("activity-complete", "post"),
        ("activity-reopen", "post"),
        ("activity-delete", "get"),
        ("activity-delete", "post"),
    ],
)
def test_read_only_viewer_gets_403_and_nothing_changes(client, cast, read_only, name, method):
    open_one = make_activity(deal=cast.deal_a, due_date=date(2030, 1, 2), subject="Open")
    done_one = make_activity(deal=cast.deal_a, due_date=date(2030, 1, 1), subject="Done")
    activity_complete(activity=done_one, actor=cast.rep_a)
    target = {
        "activity-create": cast.deal_a.pk,
        "activity-reopen": done_one.pk,
    }.get(name, open_one.pk)
    before = list(Activity.objects.order_by("pk").values())
    client.force_login(cast.manager_a)
    url = reverse(f"activities:{name}", args=[target])
    data = {"subject": "Changed", "type": "call", "due_date": "2030-01-03"}
    response = getattr(client, method)(url, data, headers=HTMX)
    assert response.status_code == 403
    assert list(Activity.objects.order_by("pk").values()) == before


def test_read_only_viewer_sees_the_panel_without_controls(client, cast, read_only):
    make_activity(deal=cast.deal_a, due_date=date(2030, 1, 2), subject="Open")
    client.force_login(cast.manager_a)
    response = client.get(reverse("pipeline:deal-detail", args=[cast.deal_a.pk]))
    assert response.status_code == 200
    assert "Open" in response.text
    assert reverse("activities:activity-create", args=[cast.deal_a.pk]) not in response.text
    assert "Mark “Open” done" not in response.text

"""Who sees which lead: one queryset decides, and every lead URL answers 404 to outsiders,
changes nothing for them on POST, and answers 403 to someone who may see but not change."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils.html import escape

from activities.models import Activity
from leads.access import leads_visible_to
from leads.models import Lead
from pipeline.models import Deal
from tests.conftest import VISIBILITY
from tests.leads.conftest import LEAD_VISIBILITY_CASES

HTMX = {"HX-Request": "true"}

# Every URL that names a lead: (name, methods).
LEAD_URLS = [
    ("leads:lead-detail", ["get"]),
    ("leads:lead-edit", ["get", "post"]),
    ("leads:lead-qualify", ["post"]),
    ("leads:lead-disqualify", ["post"]),
    ("activities:lead-panel", ["get"]),
    ("activities:lead-activity-create", ["get", "post"]),
]
LEAD_URL_CASES = [(name, method) for name, methods in LEAD_URLS for method in methods]


def post_data(lead: Lead, cast) -> dict:
    """A POST every lead URL would accept: the lead's own fields, a reason, an activity."""
    return {
        "title": "Changed",
        "source": lead.source_id,
        "owner": lead.owner_id,
        "currency": "USD",
        "version": lead.version,
        "reason": "No budget",
        "pipeline": cast.pipeline.pk,
        "type": "call",
        "subject": "Call",
        "due_date": "2030-01-02",
        "assignee": lead.owner_id,
    }


def snapshot() -> list:
    return [
        [model_to_dict(lead) | {"labels": None} for lead in Lead.objects.order_by("pk")],
        list(Activity.objects.order_by("pk").values()),
        Deal.objects.count(),
    ]


@pytest.mark.parametrize("viewer", sorted(VISIBILITY))
def test_leads_visible_to_returns_exactly_the_leads_a_user_may_see(cast, leads, viewer):
    seen = set(leads_visible_to(cast.user(viewer)).values_list("title", flat=True))
    expected = {leads.lead(name.replace("deal", "lead")).title for name in VISIBILITY[viewer]}
    assert seen == expected


def test_inactive_user_sees_no_lead(cast, leads):
    cast.rep_a.is_active = False
    assert not leads_visible_to(cast.rep_a).exists()


def test_lead_follows_its_team_not_its_owners_current_team(cast, leads):
    cast.rep_b.team = cast.team_a
    cast.rep_b.save()
    assert not leads_visible_to(cast.manager_a).filter(pk=leads.lead_b.pk).exists()


@pytest.mark.parametrize(("name", "method"), LEAD_URL_CASES)
@pytest.mark.parametrize(("viewer", "lead", "allowed"), LEAD_VISIBILITY_CASES)
def test_every_lead_url_answers_404_to_outsiders_and_they_change_nothing(
    client, cast, leads, name, method, viewer, lead, allowed
):
    target = leads.lead(lead)
    before = snapshot()
    client.force_login(cast.user(viewer))
    url = reverse(name, args=[target.pk])
    if method == "get":
        response = client.get(url, headers=HTMX)
    else:
        response = client.post(url, post_data(target, cast))
    assert (response.status_code == 404) == (not allowed)
    if not allowed:
        assert snapshot() == before


@pytest.mark.parametrize(("viewer", "lead", "allowed"), LEAD_VISIBILITY_CASES)
def test_lead_page_shows_the_lead_to_whoever_may_see_it(client, cast, leads, viewer, lead, allowed):
    client.force_login(cast.user(viewer))
    response = client.get(reverse("leads:lead-detail", args=[leads.lead(lead).pk]))
    assert response.status_code == (200 if allowed else 404)
    if allowed:
        assert escape(leads.lead(lead).title) in response.text


@pytest.mark.parametrize("viewer", sorted(VISIBILITY))
def test_inbox_lists_only_visible_leads(client, cast, leads, viewer):
    client.force_login(cast.user(viewer))
    response = client.get(reverse("leads:inbox"))
    assert response.status_code == 200
    for deal in ("deal_a", "deal_a2", "deal_b"):
        lead = leads.lead(deal.replace("deal", "lead"))
        assert (escape(lead.title) in response.text) == (deal in VISIBILITY[viewer])


@pytest.fixture
def read_only(monkeypatch):
    """Everyone who sees a lead may change it today; this stands in a read-only viewer."""

    def refuse(user, lead) -> bool:
        return False

    monkeypatch.setattr("leads.access.can_change_lead", refuse)
    monkeypatch.setattr("leads.views.can_change_lead", refuse)
    monkeypatch.setattr("activities.queries.can_change_lead", refuse)


@pytest.mark.parametrize(("name", "method"), LEAD_URL_CASES)
def test_read_only_viewer_gets_403_on_writes_and_nothing_changes(
    client, cast, leads, read_only, name, method
):
    before = snapshot()
    client.force_login(cast.manager_a)
    url = reverse(name, args=[leads.lead_a.pk])
    if method == "get":
        response = client.get(url, headers=HTMX)
    else:
        response = client.post(url, post_data(leads.lead_a, cast))
    reads = {("leads:lead-detail", "get"), ("activities:lead-panel", "get")}
    assert response.status_code == (200 if (name, method) in reads else 403)
    assert snapshot() == before


def test_read_only_viewer_sees_the_lead_without_controls(client, cast, leads, read_only):
    client.force_login(cast.manager_a)
    response = client.get(reverse("leads:lead-detail", args=[leads.lead_a.pk]))
    assert response.status_code == 200
    text = response.text
    assert reverse("leads:lead-edit", args=[leads.lead_a.pk]) not in text
    assert reverse("leads:lead-qualify", args=[leads.lead_a.pk]) not in text
    assert reverse("leads:lead-disqualify", args=[leads.lead_a.pk]) not in text
    assert reverse("activities:lead-activity-create", args=[leads.lead_a.pk]) not in text


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("leads:inbox", "post"),
        ("leads:lead-detail", "post"),
        ("leads:lead-qualify", "get"),
        ("leads:lead-disqualify", "get"),
        ("activities:lead-panel", "post"),
        ("leads:lead-edit", "put"),
        ("leads:lead-create", "delete"),
    ],
)
def test_wrong_method_is_refused_with_405(client, cast, leads, name, method):
    client.force_login(cast.rep_a)
    args = [] if name in ("leads:inbox", "leads:lead-create") else [leads.lead_a.pk]
    before = snapshot()
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 405
    assert snapshot() == before


def test_lead_pages_need_login(client, cast, leads):
    for url in (
        reverse("leads:inbox"),
        reverse("leads:lead-create"),
        reverse("leads:lead-detail", args=[leads.lead_a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

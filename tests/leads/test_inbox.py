"""/leads/: visible leads, best score first then newest, filters, search, keyset pages."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from contacts.models import Contact, Organization
from leads.models import Lead
from leads.queries import INBOX_PAGE, Cursor
from leads.services import lead_disqualify
from tests.conftest import TRANSACTION_CONTROL
from tests.leads.factories import make_lead, make_source

URL = reverse("leads:inbox")
HTMX = {"HX-Request": "true"}
T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def titles(response) -> list[str]:
    return [lead.title for lead in response.context["page"].leads]


def test_inbox_sorts_by_score_then_newest(client, cast):
    low, high = make_source("Low", weight=1), make_source("High", weight=20)
    make_lead(owner=cast.rep_a, source=low, title="Old low", created_at=T0)
    make_lead(owner=cast.rep_a, source=high, title="Old high", created_at=T0)
    make_lead(owner=cast.rep_a, source=high, title="New high", created_at=T0 + timedelta(hours=1))
    make_lead(owner=cast.rep_a, source=low, title="New low", created_at=T0 + timedelta(hours=1))
    client.force_login(cast.rep_a)
    assert titles(client.get(URL)) == ["New high", "Old high", "New low", "Old low"]


def test_inbox_shows_open_leads_unless_asked(client, cast, leads):
    lead_disqualify(lead=leads.lead_a, version=1, reason="Duplicate", actor=cast.rep_a)
    client.force_login(cast.admin)
    assert sorted(titles(client.get(URL))) == ["Rep A2's lead", "Rep B's lead"]
    assert titles(client.get(URL, {"status": "disqualified"})) == ["Rep A's lead"]
    assert len(titles(client.get(URL, {"status": "all"}))) == 3


def test_filters_by_source_label_and_owner(client, cast, leads):
    leads.lead_a2.labels.add(leads.hot)
    client.force_login(cast.admin)
    assert titles(client.get(URL, {"source": leads.referral.pk})) == ["Rep A's lead"]
    assert titles(client.get(URL, {"label": leads.hot.pk})) == ["Rep A2's lead"]
    assert titles(client.get(URL, {"owner": cast.rep_b.pk})) == ["Rep B's lead"]


def test_a_rep_has_no_owner_filter_and_a_crafted_one_reveals_nothing(client, cast, leads):
    client.force_login(cast.rep_a)
    response = client.get(URL, {"owner": cast.rep_b.pk})
    assert 'name="owner"' not in response.text
    assert titles(response) == ["Rep A's lead"]


def test_manager_filters_by_the_reps_of_their_teams_only(client, cast, leads):
    client.force_login(cast.manager_a)
    response = client.get(URL, {"owner": cast.rep_b.pk})  # not theirs: ignored
    assert f'<option value="{cast.rep_b.pk}"' not in response.text
    assert sorted(titles(response)) == ["Rep A's lead", "Rep A2's lead"]
    assert titles(client.get(URL, {"owner": cast.rep_a2.pk})) == ["Rep A2's lead"]


def test_malformed_filters_are_ignored(client, cast, leads):
    client.force_login(cast.admin)
    response = client.get(URL, {"source": "²", "label": "1e9", "status": "nope", "owner": "-1"})
    assert response.status_code == 200
    assert len(titles(response)) == 3


def test_search_matches_title_organization_and_contact_name(client, cast, leads):
    acme = Organization.objects.create(name="Acme Industries")
    ada = Contact.objects.create(organization=acme, first_name="Ada", last_name="Lovelace")
    make_lead(owner=cast.rep_a, title="Fleet renewal", organization=acme)
    make_lead(owner=cast.rep_a, title="Pilot", contact=ada)
    client.force_login(cast.rep_a)
    assert titles(client.get(URL, {"q": "fleet"})) == ["Fleet renewal"]
    assert sorted(titles(client.get(URL, {"q": "acme"}))) == ["Fleet renewal", "Pilot"]
    assert titles(client.get(URL, {"q": "ada love"})) == ["Pilot"]
    assert titles(client.get(URL, {"q": "zzz"})) == []


def test_keyset_pages_walk_every_lead_once_in_order(client, cast):
    source = make_source(weight=5)
    for index in range(INBOX_PAGE + 7):
        make_lead(owner=cast.rep_a, source=source, created_at=T0 - timedelta(minutes=index % 5))
    client.force_login(cast.rep_a)
    first = client.get(URL)
    page = first.context["page"]
    assert len(page.leads) == INBOX_PAGE and page.total == INBOX_PAGE + 7
    assert f"after={page.next_after}" in first.text
    second = client.get(URL, {"after": page.next_after}, headers=HTMX)
    assert "<html" not in second.text and second.text.lstrip().startswith("<tr")
    rest = second.context["page"]
    assert rest.next_cursor is None and len(rest.leads) == 7
    seen = [lead.pk for lead in page.leads + rest.leads]
    expected = list(
        Lead.objects.filter(owner=cast.rep_a)
        .order_by("-score", "-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert seen == expected
    # Without JavaScript the next page is a page of its own.
    plain = client.get(URL, {"after": page.next_after})
    assert "<html" in plain.text and "back to the top" in plain.text


@pytest.mark.parametrize("after", ["", "x", "1_2", "1_2_0", "1_99999999999999999999_3", "a_b_c"])
def test_a_malformed_page_cursor_is_a_400(client, cast, after):
    client.force_login(cast.rep_a)
    assert client.get(URL, {"after": after}).status_code == 400


def test_cursor_round_trips():
    cursor = Cursor(42, T0, 7)
    assert Cursor.parse(str(cursor)) == cursor


def test_htmx_filter_change_gets_only_the_list(client, cast, leads):
    client.force_login(cast.rep_a)
    response = client.get(URL, {"q": "Rep"}, headers={**HTMX, "HX-Target": "inbox"})
    assert response.text.lstrip().startswith('<div id="inbox"')
    assert "<html" not in response.text and escape("Rep A's lead") in response.text


def test_empty_states_say_why(client, cast, leads):
    client.force_login(cast.rep_a)
    assert "No leads match these filters." in client.get(URL, {"q": "zzz"}).text
    Lead.objects.all().delete()
    assert "No open leads." in client.get(URL).text


def test_inbox_shows_score_labels_and_value(client, cast, leads):
    leads.lead_a.labels.add(leads.hot)
    client.force_login(cast.rep_a)
    text = client.get(URL).text
    assert 'text-bg-danger fw-normal me-1">Hot</span>' in text
    assert ">25</span>" in text  # Referral's weight is the whole score here


def counted(context) -> int:
    """Queries of a capture, without transaction control (as assert_max_queries counts)."""
    return len(
        [q for q in context.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
    )


@pytest.mark.parametrize(("viewer", "seen"), [("rep_a", 31), ("manager_a", 62), ("admin", 63)])
def test_inbox_queries_do_not_grow_with_the_leads(
    client, cast, leads, assert_max_queries, viewer, seen
):
    """Session, user, bell, the filter choices (sources, labels, owners), the page, its
    labels and the count."""
    client.force_login(cast.user(viewer))
    with assert_max_queries(10) as small:
        client.get(URL)
    for index in range(60):
        lead = make_lead(owner=cast.rep_a if index % 2 else cast.rep_a2, source=leads.website)
        lead.labels.add(leads.hot, leads.nurture)
    with assert_max_queries(counted(small)):
        response = client.get(URL)
    page = response.context["page"]
    assert page.total == seen and len(page.leads) == min(seen, INBOX_PAGE)

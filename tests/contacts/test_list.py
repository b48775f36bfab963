"""The organization and contact lists: only visible records, search, sorts, owner filter and
keyset pages (never OFFSET), in place with htmx and as plain pages."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from contacts.models import Contact, Organization
from contacts.queries import PAGE_SIZE
from tests.contacts.conftest import ACCESS, KINDS, htmx
from tests.factories import make_contact, make_organization

KIND_NAMES = ["organization", "contact"]


def list_url(kind: str) -> str:
    return reverse(f"contacts:{kind}-list")


def next_link(page: str) -> str | None:
    found = re.search(
        r'id="(?:organization|contact)-more">\s*<td[^>]*>\s*<a [^>]*href="([^"]+)"', page
    )
    return found.group(1).replace("&amp;", "&") if found else None


def names_on(page: str, kind: str) -> list[str]:
    pattern = rf'<a href="/{kind}s/\d+/">([^<]+)</a>'
    return re.findall(pattern, page)


@pytest.mark.parametrize("kind", KIND_NAMES)
@pytest.mark.parametrize("viewer", sorted(ACCESS))
def test_list_shows_exactly_the_records_the_viewer_may_see(client, cast, records, kind, viewer):
    client.force_login(cast.user(viewer))
    page = client.get(list_url(kind)).text
    for record_kind in KINDS:
        record = getattr(records, kind)(record_kind)
        shown = f'href="/{kind}s/{record.pk}/"' in page
        assert shown == (record_kind in ACCESS[viewer]), record_kind


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_list_needs_get(client, cast, kind):
    client.force_login(cast.rep_a)
    assert client.post(list_url(kind)).status_code == 405


def test_organizations_are_found_by_the_start_of_their_name_whatever_the_spelling(client, cast):
    make_organization("ACME, Inc.", owner=cast.rep_a)
    make_organization("Acme Logistics GmbH", owner=cast.rep_a)
    make_organization("Globex", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    for query, expected in [
        ("acme", {"ACME, Inc.", "Acme Logistics GmbH"}),
        ("Acme Inc", {"ACME, Inc."}),
        ("ACME LOG", {"Acme Logistics GmbH"}),
        ("glo", {"Globex"}),
        ("nothing", set()),
    ]:
        page = client.get(list_url("organization"), {"q": query}).text
        assert set(names_on(page, "organization")) == {escape(n) for n in expected}, query


def test_contacts_are_found_by_first_name_last_name_or_email(client, cast):
    acme = make_organization("Acme", owner=cast.rep_a)
    make_contact(
        organization=acme,
        first_name="Ada",
        last_name="Lovelace",
        email="countess@x.io",
        owner=cast.rep_a,
    )
    make_contact(
        organization=acme,
        first_name="Alan",
        last_name="Turing",
        email="alan@x.io",
        owner=cast.rep_a,
    )
    client.force_login(cast.rep_a)
    for query, expected in [
        ("ada", {"Ada Lovelace"}),
        ("Lovel", {"Ada Lovelace"}),
        ("ada lov", {"Ada Lovelace"}),
        ("COUNTESS@", {"Ada Lovelace"}),
        ("a", {"Ada Lovelace", "Alan Turing"}),
        ("x.io", set()),  # the start of a field, not the middle
    ]:
        page = client.get(list_url("contact"), {"q": query}).text
        assert set(names_on(page, "contact")) == expected, query


def test_search_never_reaches_beyond_what_the_viewer_may_see(client, cast, records):
    client.force_login(cast.rep_a)
    page = client.get(list_url("contact"), {"q": "own"}).text
    assert set(names_on(page, "contact")) == {"OwnA Person"}


def test_lists_sort_by_name_updated_and_owner(client, cast):
    zulu = make_organization("Zulu", owner=cast.rep_a)
    alpha = make_organization("alpha", owner=cast.manager_a)
    make_organization("Mike", owner=cast.rep_a2)
    Organization.objects.filter(pk=zulu.pk).update(updated_at=alpha.updated_at.replace(year=2100))
    client.force_login(cast.manager_a)
    by = lambda sort: names_on(  # noqa: E731
        client.get(list_url("organization"), {"sort": sort}).text, "organization"
    )
    assert by("name") == ["alpha", "Mike", "Zulu"]
    assert by("updated")[0] == "Zulu"
    # Owners by name: Manager_A, Rep_A, Rep_A2.
    assert by("owner") == ["alpha", "Zulu", "Mike"]
    assert by("nonsense") == by("name")


def test_owner_filter_narrows_the_list(client, cast):
    make_contact(first_name="Mine", owner=cast.rep_a)
    make_contact(first_name="Theirs", owner=cast.rep_a2)
    client.force_login(cast.manager_a)
    page = client.get(list_url("contact"), {"owner": cast.rep_a2.pk}).text
    assert names_on(page, "contact") == ["Theirs Doe"]
    assert f'<option value="{cast.rep_a2.pk}" selected>' in page
    # Someone the viewer does not see narrows to nothing rather than revealing anything.
    page = client.get(list_url("contact"), {"owner": cast.rep_b.pk}).text
    assert names_on(page, "contact") == []


def test_contact_list_of_one_organization(client, cast):
    acme = make_organization("Acme", owner=cast.rep_a)
    make_contact(organization=acme, first_name="AtAcme", owner=cast.rep_a)
    make_contact(first_name="Elsewhere", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    page = client.get(list_url("contact"), {"organization": acme.pk}).text
    assert names_on(page, "contact") == ["AtAcme Doe"] and "at Acme" in page


@pytest.mark.parametrize("sort", ["name", "updated", "owner"])
@pytest.mark.parametrize("search", ["", "per"])
def test_keyset_pages_show_every_record_once_in_order_without_offset(client, cast, sort, search):
    acme = make_organization("Acme", owner=cast.rep_a)
    Contact.objects.bulk_create(
        Contact(
            organization=acme,
            first_name=f"Person{index:03d}",
            last_name="Same" if index % 2 else "Other",
            owner=[cast.rep_a, cast.rep_a2, None][index % 3],
        )
        for index in range(2 * PAGE_SIZE + 7)
    )
    client.force_login(cast.manager_a)
    url = f"{list_url('contact')}?sort={sort}&q={search}"
    seen: list[str] = []
    pages = 0
    with CaptureQueriesContext(connection) as captured:
        while url:
            page = client.get(url).text
            seen += names_on(page, "contact")
            url = next_link(page)
            pages += 1
    visible = Contact.objects.filter(owner__in=[cast.rep_a, cast.rep_a2]).count()
    assert pages == -(-visible // PAGE_SIZE)
    assert len(seen) == len(set(seen)) == visible
    assert not any(re.search(r"\bOFFSET\s+\d", q["sql"]) for q in captured.captured_queries)
    if sort == "name":
        assert seen == sorted(seen, key=lambda name: (name.split()[1].lower(), name.lower()))


def test_next_page_over_htmx_is_only_the_rows(client, cast):
    acme = make_organization("Acme", owner=cast.rep_a)
    Contact.objects.bulk_create(
        Contact(organization=acme, first_name=f"P{i:03d}", last_name="X", owner=cast.rep_a)
        for i in range(PAGE_SIZE + 3)
    )
    client.force_login(cast.rep_a)
    link = next_link(client.get(list_url("contact")).text)
    response = client.get(link, headers=htmx("contact-more"))
    assert response.status_code == 200
    assert "<html" not in response.text and "<table" not in response.text
    assert len(names_on(response.text, "contact")) == 3
    assert next_link(response.text) is None


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_filters_over_htmx_redraw_only_the_results(client, cast, records, kind):
    client.force_login(cast.rep_a)
    response = client.get(list_url(kind), {"q": "own"}, headers=htmx(f"{kind}-results"))
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith(f'<div id="{kind}-results">')


@pytest.mark.parametrize("kind", KIND_NAMES)
@pytest.mark.parametrize(
    "cursor",
    ["garbage!", "W10", "WyJhIiwgMV0", "WyJhIiwgIjEiXQ", "WyJhIiwgOTk5OTk5OTk5OTk5OTk5OTk5OTk5OV0"],
)
def test_a_page_link_that_was_not_made_here_is_a_400(client, cast, kind, cursor):
    client.force_login(cast.rep_a)
    response = client.get(list_url(kind), {"after": cursor, "sort": "updated"})
    assert response.status_code == 400


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_empty_states_say_what_to_do(client, cast, kind):
    client.force_login(cast.rep_a)
    assert f"No {kind}s yet" in client.get(list_url(kind)).text
    assert f"No {kind}s you can see match" in client.get(list_url(kind), {"q": "zzz"}).text


def test_contact_list_links_organizations_only_when_visible(client, cast, records):
    orphan = records.organization("orphan")
    make_contact(organization=orphan, first_name="Mine", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    page = client.get(list_url("contact")).text
    assert "Orphan Org" in page
    assert f'href="/organizations/{orphan.pk}/"' not in page
    assert f'href="/organizations/{records.organization("own_a").pk}/"' in page


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_list_runs_a_fixed_number_of_queries(client, cast, records, kind, assert_max_queries):
    client.force_login(cast.manager_a)
    with assert_max_queries(8):
        client.get(list_url(kind))
    acme = records.organization("own_a")
    for index in range(30):
        make_contact(organization=make_organization(owner=cast.rep_a2), owner=cast.rep_a)
        make_contact(organization=acme, first_name=f"More{index}", owner=cast.rep_a2)
    for sort in ("name", "owner", "updated"):
        with assert_max_queries(8):
            response = client.get(list_url(kind), {"sort": sort, "q": "o"})
        assert response.status_code == 200


@pytest.mark.parametrize(
    "values", [["a\x00", 1], ["a", True], ["a", 0], ["a", 2**63], [None, 1], ["a"]]
)
def test_a_cursor_with_values_no_row_can_have_is_a_400(client, cast, values):
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    client.force_login(cast.rep_a)
    assert client.get(list_url("contact"), {"after": cursor}).status_code == 400

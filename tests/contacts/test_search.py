"""The typeahead's search endpoints: at most ten matches, only among what the user may see,
by an indexed prefix match."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.models import Contact, Organization
from contacts.queries import SUGGESTION_LIMIT, contact_suggestions, organization_suggestions
from tests.contacts.conftest import ACCESS, KINDS, htmx
from tests.factories import make_contact, make_organization

KIND_NAMES = ["organization", "contact"]


def search_url(kind: str) -> str:
    return reverse(f"contacts:{kind}-search")


def suggested_ids(page: str) -> set[int]:
    return {int(found) for found in re.findall(r'data-id="(\d+)"', page)}


@pytest.mark.parametrize("kind", KIND_NAMES)
@pytest.mark.parametrize("viewer", sorted(ACCESS))
@pytest.mark.parametrize("text", ["", "o", "own", "shared", "orphan"])
def test_suggestions_never_include_what_the_user_may_not_see(
    client, cast, records, kind, viewer, text
):
    client.force_login(cast.user(viewer))
    response = client.get(search_url(kind), {"field": "q", "q": text}, headers=htmx())
    assert response.status_code == 200
    visible = {getattr(records, kind)(name).pk for name in ACCESS[viewer]}
    everything = {getattr(records, kind)(name).pk for name in KINDS}
    shown = suggested_ids(response.text)
    assert shown <= visible
    assert not shown & (everything - visible)


def test_at_most_ten_suggestions_first_by_name(client, cast):
    Organization.objects.bulk_create(
        Organization(name=f"Acme {index:02d}", owner=cast.rep_a) for index in range(25)
    )
    client.force_login(cast.rep_a)
    page = client.get(search_url("organization"), {"field": "q", "q": "acme"}, headers=htmx()).text
    labels = re.findall(r'data-label="([^"]+)"', page)
    assert labels == [f"Acme {index:02d}" for index in range(SUGGESTION_LIMIT)]


def test_an_empty_box_suggests_the_records_changed_last(client, cast):
    old = make_organization("Old", owner=cast.rep_a)
    new = make_organization("New", owner=cast.rep_a)
    Organization.objects.filter(pk=old.pk).update(updated_at=new.updated_at.replace(year=2000))
    client.force_login(cast.rep_a)
    page = client.get(search_url("organization"), {"field": "q", "q": ""}, headers=htmx()).text
    assert re.findall(r'data-label="([^"]+)"', page) == ["New", "Old"]


def test_the_box_is_read_from_the_field_the_widget_names(client, cast):
    make_organization("Globex", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    page = client.get(
        search_url("organization"),
        {"field": "new_contact-organization", "new_contact-organization": "glo"},
        headers=htmx(),
    ).text
    assert 'data-label="Globex"' in page
    assert 'id="id_new_contact-organization_suggestions-' in page


@pytest.mark.parametrize("field", ["a b", "x" * 61, "<script>", "é"])
def test_an_unknown_field_name_is_a_400(client, cast, field):
    client.force_login(cast.rep_a)
    response = client.get(search_url("contact"), {"field": field}, headers=htmx())
    assert response.status_code == 400


def test_contacts_are_narrowed_to_the_chosen_organization(client, cast, records):
    own_a = records.organization("own_a")
    make_contact(
        organization=make_organization(owner=cast.rep_a), first_name="Other", owner=cast.rep_a
    )
    client.force_login(cast.rep_a)
    page = client.get(
        search_url("contact"), {"field": "q", "q": "", "organization_id": own_a.pk}, headers=htmx()
    ).text
    assert suggested_ids(page) == {records.contact("own_a").pk}
    # A crafted organization id narrows to nothing; it never widens.
    page = client.get(
        search_url("contact"), {"field": "q", "q": "", "organization_id": "x"}, headers=htmx()
    ).text
    assert records.contact("own_b").pk not in suggested_ids(page)


def test_the_create_option_is_offered_only_where_the_widget_asks_for_it(client, cast):
    client.force_login(cast.rep_a)
    plain = client.get(search_url("organization"), {"field": "q", "q": "Newco"}, headers=htmx())
    assert "data-create" not in plain.text
    offered = client.get(
        search_url("organization"), {"field": "q", "q": "Newco", "create": "1"}, headers=htmx()
    )
    assert 'data-create="Newco"' in offered.text and "New organization “Newco”…" in offered.text
    assert "No organization you can see starts with “Newco”." in offered.text


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_without_javascript_a_search_opens_the_list(client, cast, kind):
    client.force_login(cast.rep_a)
    response = client.get(search_url(kind), {"field": "q", "q": "ad a"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse(f'contacts:{kind}-list')}?q=ad+a"


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_search_needs_get(client, cast, kind):
    client.force_login(cast.rep_a)
    assert client.post(search_url(kind), headers=htmx()).status_code == 405


@pytest.mark.parametrize("viewer", ["rep_a", "manager_a", "admin"])
def test_a_suggestion_is_one_query_on_indexed_keys_whatever_the_size(cast, viewer):
    """One query, a prefix LIKE on the stored keys (indexed, with pattern indexes on
    PostgreSQL), the visibility as subqueries: no join of the big tables, no DISTINCT."""
    user = cast.user(viewer)
    acme = make_organization("Acme", owner=cast.rep_a)
    for size in (5, 60):
        Contact.objects.bulk_create(
            Contact(organization=acme, first_name="Lo", last_name=f"Person{i}", owner=cast.rep_a)
            for i in range(size)
        )
        with CaptureQueriesContext(connection) as captured:
            found = contact_suggestions(user, "lo")
            organization_suggestions(user, "acm")
        assert len(captured.captured_queries) == 2
        assert len(found) <= SUGGESTION_LIMIT
        contact_sql, organization_sql = (q["sql"] for q in captured.captured_queries)
        for column in ("full_name_key", "sort_name_key", "email_key"):
            assert re.search(rf'"{column}"(::text)? LIKE', contact_sql)
        assert re.search(r'"name_key"(::text)? LIKE', organization_sql)
        for sql in (contact_sql, organization_sql):
            assert "DISTINCT" not in sql.upper()
            assert "pipeline_deal" not in sql.split("WHERE")[0]  # deals only in subqueries
            assert "LIMIT 10" in sql


def test_the_keys_searched_are_indexed():
    for model, columns in (
        (Contact, ["full_name_key", "sort_name_key", "email_key"]),
        (Organization, ["name_key"]),
    ):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        # Expression indexes (the search app's) list no columns.
        indexed = {
            info["columns"][0] for info in constraints.values() if info["index"] and info["columns"]
        }
        assert set(columns) <= indexed


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_a_null_character_in_the_box_is_dropped_not_sent_to_the_database(client, cast, kind):
    make_organization("Globex", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.get(search_url(kind), {"field": "q", "q": "g\x00lo"}, headers=htmx())
    assert response.status_code == 200
    list_page = client.get(reverse(f"contacts:{kind}-list"), {"q": "\x00"})
    assert list_page.status_code == 200

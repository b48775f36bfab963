"""Global search (`/search/?q=`, and its dropdown for the header's live search): grouped by
kind, best match first, only what the user may see, never a 5xx, a fixed number of queries."""

import re

import pytest
from django.urls import reverse

from leads.models import Lead
from pipeline.models import Deal
from search.queries import DROPDOWN_PER_KIND, PAGE_PER_KIND, search_everything
from tests.contacts.conftest import ACCESS, KINDS, htmx
from tests.factories import make_contact, make_deal, make_many_deals, make_organization
from tests.leads.factories import make_lead

URL = reverse("search:results")
VIEWERS = ["rep_a", "rep_a2", "rep_b", "manager_a", "manager_b", "admin"]
# Who sees which of the cast's deals and leads (tests/conftest.py VISIBILITY).
DEALS_SEEN = {
    "rep_a": {"deal_a"},
    "rep_a2": {"deal_a2"},
    "rep_b": {"deal_b"},
    "manager_a": {"deal_a", "deal_a2"},
    "manager_b": {"deal_b"},
    "admin": {"deal_a", "deal_a2", "deal_b"},
}


def result_links(page: str) -> set[str]:
    """The detail pages the results link to."""
    return set(re.findall(r'href="(/(?:deals|organizations|contacts|leads)/\d+/)"', page))


@pytest.fixture
def world(cast, records):
    """The cast's deals, organizations, contacts (tests/contacts/conftest.py) and a lead per
    rep, named so that one word finds every record of a kind."""
    leads = {
        "lead_a": make_lead(owner=cast.rep_a, title="Rep A's lead"),
        "lead_a2": make_lead(owner=cast.rep_a2, title="Rep A2's lead"),
        "lead_b": make_lead(owner=cast.rep_b, title="Rep B's lead"),
    }
    return {"records": records, "leads": leads}


def expected_links(cast, world, viewer: str) -> dict[str, set[str]]:
    records = world["records"]
    seen = DEALS_SEEN[viewer]
    return {
        "deal": {
            reverse("pipeline:deal-detail", args=[cast.deal(name).pk])
            for name in ("deal_a", "deal_a2", "deal_b")
            if name in seen
        },
        "lead": {
            reverse("leads:lead-detail", args=[world["leads"][name.replace("deal", "lead")].pk])
            for name in seen
        },
        "organization": {
            reverse("contacts:organization-detail", args=[records.organization(kind).pk])
            for kind in KINDS
            if kind in ACCESS[viewer]
        },
        "contact": {
            reverse("contacts:contact-detail", args=[records.contact(kind).pk])
            for kind in KINDS
            if kind in ACCESS[viewer]
        },
    }


# What the page looks like ------------------------------------------------------------------


def test_results_are_grouped_by_kind_and_link_to_each_record(client, cast, world):
    deal = make_deal(owner=cast.rep_a, stage=cast.deal_a.stage, title="Globex renewal")
    organization = make_organization("Globex", owner=cast.rep_a, country="Japan")
    contact = make_contact(
        organization=organization,
        first_name="Hank",
        last_name="Scorpio",
        email="hank@globex.example",
        owner=cast.rep_a,
    )
    lead = make_lead(owner=cast.rep_a, title="Globex expansion", organization=organization)
    client.force_login(cast.rep_a)

    page = client.get(URL, {"q": "globex"}).text

    headings = re.findall(r'<h2 class="h6 card-header"[^>]*>.*?</i> (\w+)</h2>', page)
    assert headings == ["Deals", "Organizations", "Contacts", "Leads"]
    assert result_links(page) == {
        reverse("pipeline:deal-detail", args=[deal.pk]),
        reverse("contacts:organization-detail", args=[organization.pk]),
        reverse("contacts:contact-detail", args=[contact.pk]),
        reverse("leads:lead-detail", args=[lead.pk]),
    }
    assert "Hank Scorpio" in page
    assert "hank@globex.example · Globex" in page


def test_the_live_dropdown_is_only_the_results(client, cast, world):
    client.force_login(cast.rep_a)
    response = client.get(URL, {"q": "rep a"}, headers=htmx("site-search-results"))
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'class="dropdown-header"' in response.text
    assert reverse("pipeline:deal-detail", args=[cast.deal_a.pk]) in response.text
    assert f'href="{URL}?q=rep%20a"' in response.text  # "All results" opens the full page


def test_nothing_found_says_so(client, cast, world):
    client.force_login(cast.admin)
    page = client.get(URL, {"q": "xylophone"}).text
    assert "No results for “xylophone”." in page
    dropdown = client.get(URL, {"q": "xylophone"}, headers=htmx()).text
    assert "No results for “xylophone”." in dropdown


@pytest.mark.parametrize("text", ["", " ", "a", "%", "!?", "é"])
def test_too_little_text_asks_for_more_and_searches_nothing(
    client, cast, world, text, assert_max_queries
):
    client.force_login(cast.admin)
    client.get(URL, {"q": "warm up the session"})
    with assert_max_queries(3):  # the session, the user, the header's bell: no search
        page = client.get(URL, {"q": text}).text
    assert result_links(page) == set()
    if text.strip():
        assert "Type at least two letters or digits." in page


def test_the_page_works_signed_out_only_through_the_login(client, world):
    response = client.get(URL, {"q": "rep"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_search_is_read_only(client, cast, world):
    client.force_login(cast.admin)
    assert client.post(URL, {"q": "rep"}).status_code == 405


# Scope: the visibility matrix --------------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize(
    ("kind", "text"),
    [("deal", "deal"), ("lead", "lead"), ("organization", "org"), ("contact", "person")],
)
def test_each_member_of_the_cast_finds_exactly_what_they_may_see(
    client, cast, world, viewer, kind, text
):
    client.force_login(cast.user(viewer))
    expected = expected_links(cast, world, viewer)[kind]
    page = client.get(URL, {"q": text}).text
    assert {link for link in result_links(page) if link.startswith(f"/{kind}s/")} == expected
    dropdown = client.get(URL, {"q": text}, headers=htmx()).text
    shown = {link for link in result_links(dropdown) if link.startswith(f"/{kind}s/")}
    assert shown <= expected
    assert len(shown) == min(len(expected), DROPDOWN_PER_KIND)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_an_e_mail_address_finds_a_contact_only_for_those_who_may_see_it(
    client, cast, world, viewer
):
    contact = world["records"].contact("via_deal_b")
    client.force_login(cast.user(viewer))
    page = client.get(URL, {"q": "via_deal_b@example.com"}).text
    link = reverse("contacts:contact-detail", args=[contact.pk])
    assert (link in page) == ("via_deal_b" in ACCESS[viewer])


def test_other_teams_matches_do_not_show_even_as_more(client, cast, world):
    """Team B has many more matching deals than a group shows; rep_a, who sees one of them,
    is told of that one and of nothing more."""
    make_many_deals(PAGE_PER_KIND + 5, owner=cast.rep_b, stages=[cast.deal_b.stage])
    make_deal(owner=cast.rep_a, stage=cast.deal_a.stage, title="Bulk deal of rep A")
    client.force_login(cast.rep_a)
    for headers in ({}, htmx()):
        page = client.get(URL, {"q": "bulk deal"}, headers=headers).text
        assert len([link for link in result_links(page) if link.startswith("/deals/")]) == 1
        assert "More deals" not in page
        assert "Bulk deal 1" not in page
    client.force_login(cast.rep_b)
    assert "More deals" in client.get(URL, {"q": "bulk deal"}).text


def test_a_rep_never_sees_another_teams_record_by_its_exact_name(client, cast, world):
    client.force_login(cast.rep_a)
    page = client.get(URL, {"q": "Rep B's deal"}).text
    assert "No results for" in page
    assert reverse("pipeline:deal-detail", args=[cast.deal_b.pk]) not in page


# Ranking -----------------------------------------------------------------------------------


def test_an_exact_name_comes_first_then_names_that_start_with_the_text(cast, db):
    stage = cast.deal_a.stage
    for title in ("The Acme account", "Acme expansion", "Acme"):
        make_deal(owner=cast.rep_a, stage=stage, title=title)
    results = search_everything(user=cast.rep_a, text="acme", per_kind=10)
    deals = results.groups[0]
    assert [hit.label for hit in deals.hits] == ["Acme", "Acme expansion", "The Acme account"]


def test_words_are_found_in_any_order(cast, db):
    make_contact(first_name="Grace", last_name="Hopper", owner=cast.rep_a)
    results = search_everything(user=cast.rep_a, text="hopper grace")
    contacts = next(group for group in results.groups if group.kind == "contact")
    assert [hit.label for hit in contacts.hits] == ["Grace Hopper"]


def test_accents_and_case_do_not_matter_for_people_and_companies(cast, db):
    organization = make_organization("Société Générale", owner=cast.rep_a)
    make_contact(organization=organization, first_name="José", last_name="Núñez", owner=cast.rep_a)
    results = search_everything(user=cast.rep_a, text="SOCIETE")
    assert [hit.label for hit in results.groups[1].hits] == ["Société Générale"]
    results = search_everything(user=cast.rep_a, text="jose nunez")
    assert [hit.label for hit in results.groups[2].hits] == ["José Núñez"]


def test_a_page_shows_more_of_each_kind_than_the_dropdown(client, cast, world):
    make_many_deals(PAGE_PER_KIND + 1, owner=cast.rep_a, stages=[cast.deal_a.stage])
    client.force_login(cast.rep_a)
    dropdown = client.get(URL, {"q": "bulk"}, headers=htmx()).text
    page = client.get(URL, {"q": "bulk"}).text
    assert len(result_links(dropdown)) == DROPDOWN_PER_KIND
    assert len(result_links(page)) == PAGE_PER_KIND
    assert "More deals" in page
    assert "More deals…" in dropdown


def test_a_typo_still_finds_the_record_on_postgresql(cast, db, requires_postgres):
    make_contact(first_name="Grace", last_name="Hopper", owner=cast.rep_a)
    make_organization("Initech", owner=cast.rep_a)
    results = search_everything(user=cast.rep_a, text="hoppr")
    assert [hit.label for hit in results.groups[2].hits] == ["Grace Hopper"]
    results = search_everything(user=cast.rep_a, text="inittech")
    assert [hit.label for hit in results.groups[1].hits] == ["Initech"]


# Bad input ---------------------------------------------------------------------------------

BAD_INPUTS = [
    "x" * 10_000,
    "deal\x00",
    "\x00\x00",
    "%",
    "%%deal%%",
    "_",
    "__",
    "de_l",
    "\\",
    "deal\\",
    "&|!():*'",
    "rep & | ! ( ) : * '",
    "deal:* & !lead",
    "'; DROP TABLE pipeline_deal; --",
    ".*[(?",
    "deal\r\nlead",
    "²",
    "deal²",
    "🙂 deal",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("text", BAD_INPUTS)
@pytest.mark.parametrize("live", [False, True])
def test_bad_input_never_fails(client, cast, world, text, live):
    client.force_login(cast.admin)
    response = client.get(URL, {"q": text}, headers=htmx() if live else {})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert Deal.objects.count() == 3


def test_invalid_utf_8_and_repeated_parameters_never_fail(client, cast, world):
    client.force_login(cast.admin)
    for query in ("q=%ED%A0%80", "q=%FF%FE", "q=deal&q=lead", "q", "q=%00"):
        assert client.get(f"{URL}?{query}").status_code == 200


def test_percent_and_underscore_are_not_wildcards(client, cast, world):
    make_deal(owner=cast.rep_a, stage=cast.deal_a.stage, title="Discount 50% off")
    client.force_login(cast.rep_a)
    for text in ("de_l", "de%l", "r%p"):
        assert "No results for" in client.get(URL, {"q": text}).text
    page = client.get(URL, {"q": "50% off"}).text
    assert [hit for hit in re.findall(r"Discount[^<]*", page)] == ["Discount 50% off"]


# Queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("live", [False, True])
def test_the_number_of_queries_does_not_grow_with_the_data(
    client, cast, world, assert_max_queries, live
):
    client.force_login(cast.manager_a)
    headers = htmx() if live else {}
    client.get(URL, {"q": "warm"}, headers=headers)
    counts = []
    for size in (2, 30):
        make_many_deals(size, owner=cast.rep_a, stages=[cast.deal_a.stage])
        for index in range(size):
            make_lead(owner=cast.rep_a2, title=f"Bulk lead {size}.{index}")
            make_contact(first_name="Bulk", last_name=f"Person {index}", owner=cast.rep_a)
        # The session, the user, the header's bell (full page only), a manager's teams (on
        # PostgreSQL, see search.queries._indexable_scope), one query per kind.
        with assert_max_queries(8 if not live else 7) as captured:
            page = client.get(URL, {"q": "bulk"}, headers=headers).text
        assert "Bulk lead" in page and "Bulk deal" in page and "Bulk Person" in page
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    assert Lead.objects.count() > 30


def test_close_spellings_are_a_second_round_of_four_queries(
    client, cast, world, assert_max_queries, requires_postgres
):
    make_contact(first_name="Grace", last_name="Hopper", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    client.get(URL, {"q": "warm"})
    with assert_max_queries(3 + 4 + 4):
        page = client.get(URL, {"q": "hoppr"}).text
    assert "Nothing matches “hoppr” as typed; these are spelt alike." in page
    assert "Grace Hopper" in page


def test_two_or_three_letters_match_the_start_of_a_word(cast, db):
    make_contact(first_name="John", last_name="Smith", owner=cast.rep_a)
    make_contact(first_name="Ann", last_name="Majority", owner=cast.rep_a)
    contacts = search_everything(user=cast.rep_a, text="jo").groups[2]
    assert [hit.label for hit in contacts.hits] == ["John Smith"]
    contacts = search_everything(user=cast.rep_a, text="jor").groups[2]
    assert contacts.hits == []
    contacts = search_everything(user=cast.rep_a, text="jori").groups[2]
    assert [hit.label for hit in contacts.hits] == ["Ann Majority"]


def test_among_many_matches_the_exact_name_still_comes_first(
    cast, db, requires_postgres, monkeypatch
):
    monkeypatch.setattr("search.queries.CANDIDATES", 3)
    stage = cast.deal_a.stage
    for index in range(10):
        make_deal(owner=cast.rep_a, stage=stage, title=f"Acme project {index}")
    make_deal(owner=cast.rep_a, stage=stage, title="Acme")
    deals = search_everything(user=cast.rep_a, text="acme", per_kind=2).groups[0]
    assert deals.hits[0].label == "Acme"
    assert deals.hits[1].label.startswith("Acme project")
    assert deals.more

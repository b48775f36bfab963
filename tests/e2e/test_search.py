"""Global search in headless Chromium: "/" focuses the header's box, typing shows grouped
results, the keyboard or a click opens one, Enter without a choice opens the results page;
screenshots at desktop and phone widths in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, Organization
from leads.services import lead_create
from pipeline.models import Deal
from tests.e2e.conftest import screenshot
from tests.factories import make_deal
from tests.leads.factories import make_source

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def globex(cast):
    stage = cast.deal_a.stage
    organization = Organization.objects.create(name="Globex", country="Japan", owner=cast.rep_a)
    Contact.objects.create(
        organization=organization,
        first_name="Hank",
        last_name="Scorpio",
        email="hank@globex.example",
        owner=cast.rep_a,
    )
    make_deal(owner=cast.rep_a, stage=stage, title="Globex renewal", organization=organization)
    make_deal(owner=cast.rep_a, stage=stage, title="Globex hammock order")
    lead_create(
        title="Globex expansion", source=make_source("Website"), owner=cast.rep_a, actor=cast.rep_a
    )
    # Team B's record of the same name never shows to rep_a.
    make_deal(owner=cast.rep_b, stage=stage, title="Globex secret deal")
    return organization


@pytest.mark.parametrize("width", [1280, 390])
def test_slash_focuses_the_search_and_a_result_opens(new_page, cast, globex, width):
    page = new_page(cast.rep_a, width=width)
    page.goto("/deals/")
    box = page.get_by_role("combobox", name="Search")
    expect(box).to_be_visible()

    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("")  # the slash is a shortcut, not typed
    page.keyboard.type("globex")

    results = page.locator("#site-search-results")
    expect(results).to_be_visible()
    headers = results.locator(".dropdown-header")
    expect(headers).to_have_text(["Deals", "Organizations", "Contacts", "Leads"])
    expect(results).to_contain_text("Globex renewal")
    expect(results).to_contain_text("Hank Scorpio")
    expect(results).not_to_contain_text("secret")
    screenshot(page, f"search-dropdown-{width}")

    # The arrows move through the results (the shorter title, closer to the text, first);
    # Enter opens the one highlighted.
    active = results.locator(".search-option.active")
    box.press("ArrowDown")
    expect(active).to_contain_text("Globex renewal")
    box.press("ArrowDown")
    expect(active).to_contain_text("Globex hammock order")
    box.press("ArrowUp")
    expect(active).to_contain_text("Globex renewal")
    box.press("Enter")
    deal = Deal.objects.get(title="Globex renewal")
    expect(page).to_have_url(re.compile(rf"/deals/{deal.pk}/$"))

    # A click on a contact opens it too.
    page.keyboard.press("/")
    page.keyboard.type("scorpio")
    page.locator("#site-search-results").get_by_role("option", name=re.compile("Hank")).click()
    expect(page.get_by_role("heading", name=re.compile("Hank Scorpio"))).to_be_visible()


def test_enter_opens_the_results_page_and_nothing_found_says_so(new_page, cast, globex):
    page = new_page(cast.rep_a)
    page.goto("/")
    box = page.get_by_role("combobox", name="Search")
    box.click()
    box.type("zzyzx")
    expect(page.locator("#site-search-results")).to_contain_text("No results for “zzyzx”.")
    box.fill("globex")
    expect(page.locator("#site-search-results")).to_contain_text("Globex renewal")
    box.press("Escape")
    expect(page.locator("#site-search-results")).to_be_hidden()
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=globex$"))
    expect(page.get_by_role("heading", name="Deals")).to_be_visible()
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("secret")
    screenshot(page, "search-page-1280")
    page.set_viewport_size({"width": 390, "height": 900})
    screenshot(page, "search-page-390")


def test_slash_types_a_slash_in_a_text_field(new_page, cast, globex):
    page = new_page(cast.rep_a)
    page.goto("/search/")
    field = page.locator("#search-page-q")
    field.click()
    page.keyboard.type("a/b")
    expect(field).to_have_value("a/b")
    expect(page.get_by_role("combobox", name="Search")).not_to_be_focused()

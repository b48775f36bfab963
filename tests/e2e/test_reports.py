"""The sales dashboard in a real browser: htmx filters, the URL, charts, small screens."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pipeline.services import deal_create, deal_mark_won
from reporting.periods import Preset, preset_period
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wins(cast):
    """A deal won today by each rep of team A: this quarter's figures."""
    negotiation = cast.pipeline.stages.order_by("order").last()
    for rep, value in [(cast.rep_a, "3000.00"), (cast.rep_a2, "1200.00"), (cast.rep_b, "999.00")]:
        deal = deal_create(
            title=f"{rep.username} win",
            owner=rep,
            stage=negotiation,
            value=Decimal(value),
            actor=rep,
            created_at=timezone.now() - timedelta(days=3),
        )
        deal_mark_won(deal=deal, version=deal.version, actor=rep)


def chart_drawn(page, name: str) -> bool:
    return page.evaluate(
        f"() => !!Chart.getChart(document.querySelector('canvas[data-chart={name}]'))"
    )


def test_a_manager_filters_with_htmx_and_the_url_follows(new_page, cast, wins):
    page = new_page(cast.manager_a)
    page.goto("/reports/")
    this_quarter = preset_period(
        Preset.THIS_QUARTER, today=timezone.now().date(), tz=cast.manager_a.zoneinfo
    )
    expect(page.locator("#report-heading h2")).to_have_text(this_quarter.label)
    expect(page.locator("#tile-won_value .tile-value")).to_have_text("4,200.00")
    assert chart_drawn(page, "won-by-month") and chart_drawn(page, "funnel")
    screenshot(page, "reports-manager-1280")

    # A marker on the window survives only if the page is not reloaded.
    page.evaluate("window.stillThisPage = true")
    page.select_option("#id_period", Preset.LAST_QUARTER)
    last_quarter = preset_period(
        Preset.LAST_QUARTER, today=timezone.now().date(), tz=cast.manager_a.zoneinfo
    )
    expect(page.locator("#report-heading h2")).to_have_text(last_quarter.label)
    # The pushed URL holds the preset alone: no dates, no empty filters.
    expect(page).to_have_url(f"{page.url.split('?')[0]}?period=last-quarter")
    expect(page.locator("#tile-won_value .tile-value")).to_have_text("0.00")
    assert page.evaluate("window.stillThisPage") is True
    # The charts are drawn again on the new fragment.
    assert chart_drawn(page, "won-by-month")

    page.go_back()
    expect(page.locator("#report-heading h2")).to_have_text(this_quarter.label)


def test_typing_dates_switches_to_custom_dates(new_page, cast, wins):
    page = new_page(cast.admin)
    page.goto("/reports/")
    expect(page.locator("#tile-won_count .tile-value")).to_have_text("3")
    start, end = (
        timezone.now().date() - timedelta(days=60),
        timezone.now().date() - timedelta(days=30),
    )
    page.fill("#id_start", start.isoformat())
    page.fill("#id_end", end.isoformat())
    page.locator("#id_end").dispatch_event("change")
    expect(page).to_have_url(re.compile(rf"/reports/\?period=custom&start={start}&end={end}$"))
    expect(page.locator("#id_period")).to_have_value(Preset.CUSTOM)
    expect(page.locator("#tile-won_count .tile-value")).to_have_text("0")

    # Choosing a preset then drops the custom dates from the URL; the inputs show its dates.
    page.select_option("#id_period", Preset.THIS_MONTH)
    this_month = preset_period(
        Preset.THIS_MONTH, today=timezone.now().date(), tz=cast.admin.zoneinfo
    )
    expect(page).to_have_url(re.compile(r"/reports/\?period=this-month$"))
    expect(page.locator("#id_start")).to_have_value(this_month.start.isoformat())
    expect(page.locator("#tile-won_count .tile-value")).to_have_text("3")
    page.go_back()
    expect(page.locator("#id_period")).to_have_value(Preset.CUSTOM)


def test_without_javascript_the_form_leads_to_a_clean_url(browser, live_server, cast, wins):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", cast.manager_a.username)
        page.fill("#id_password", "pw")
        page.click("button[type=submit]")
        page.goto("/reports/")
        page.select_option("#id_period", Preset.LAST_YEAR)
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(re.compile(r"/reports/\?period=last-year$"))
        last_year = timezone.now().year - 1
        expect(page.locator("#report-heading h2")).to_have_text(str(last_year))
        # Typed dates win over the preset the select still shows.
        page.fill("#id_start", f"{last_year}-02-01")
        page.fill("#id_end", f"{last_year}-02-28")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(
            re.compile(rf"/reports/\?period=custom&start={last_year}-02-01&end={last_year}-02-28$")
        )
        expect(page.locator("#report-heading h2")).to_have_text(f"February {last_year}")
    finally:
        context.close()


def test_the_breakdown_switch_and_sorting_update_in_place(new_page, cast, wins):
    page = new_page(cast.admin)
    page.goto("/reports/")
    page.evaluate("window.stillThisPage = true")
    page.locator("#breakdown").get_by_role("link", name="Team", exact=True).click()
    expect(page.locator("#breakdown-title")).to_have_text("By team")
    assert "by=team" in page.url
    rows = page.locator("#breakdown tbody th[scope=row]")
    expect(rows).to_have_text(["Team A", "Team B"])
    page.locator("#breakdown thead").get_by_role("link", name="Won value").click()
    expect(rows).to_have_text(["Team B", "Team A"])  # ascending after the default descending
    assert page.evaluate("window.stillThisPage") is True


def test_a_rep_on_a_phone_sees_their_own_figures(new_page, cast, wins):
    page = new_page(cast.rep_a, width=390, height=844)
    page.goto("/reports/")
    expect(page.locator("#tile-won_value .tile-value")).to_have_text("3,000.00")
    # Reps get no team, territory or rep filter: they would offer one choice each.
    expect(page.locator("#id_team")).to_have_count(0)
    expect(page.locator("#breakdown tbody th[scope=row]")).to_have_text([str(cast.rep_a)])
    # Nothing is wider than the screen but the tables, which scroll inside their cards.
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "reports-rep-390")

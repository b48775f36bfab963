"""The Content-Security-Policy in a real browser: every screen loads with nothing blocked, and
what used to need inline code or eval (the board's drag and live poll, the dashboard's charts
and bars, htmx's indicators) still works. `new_page` fails a test on any violation."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pipeline import services
from teams.models import PeriodKind, Quota
from tests.e2e.conftest import screenshot
from tests.e2e.test_board import column, drag

pytestmark = pytest.mark.django_db(transaction=True)

POLL_SECONDS = 3


def assert_clean(page, csp_violations) -> None:
    assert page.evaluate("document.querySelectorAll('style').length") == 0  # none injected
    assert "'unsafe-inline'" not in page.evaluate(
        "async () => (await fetch(location.href)).headers.get('content-security-policy')"
    )
    assert csp_violations == [], csp_violations


def test_the_policy_is_enforced(new_page, cast, csp_violations):
    page = new_page(cast.rep_a)
    page.goto("/pipeline/")
    # An inline script injected now is refused, and the refusal is seen.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.appendChild(script);
        }"""
    )
    expect(page.locator("body")).to_be_visible()
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected === undefined")
    assert any("script-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()


def test_board_drags_and_polls_under_the_policy(new_page, cast, csp_violations):
    lead, proposal, negotiation = cast.pipeline.stages.order_by("order")
    page = new_page(cast.rep_a)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/changes/" in r.url else None)
    page.goto(f"/pipeline/{cast.pipeline.pk}/")

    drag(
        page,
        page.locator(f"#deal-{cast.deal_a.pk}"),
        column(page, proposal).locator(".column-cards"),
    )
    expect(column(page, proposal).locator(".column-count")).to_have_text("1")
    expect(column(page, lead).locator(".column-count")).to_have_text("0")

    # Someone else moves the deal: the poll notices it without a reload.
    cast.deal_a.refresh_from_db()
    services.deal_move(
        deal=cast.deal_a,
        stage_id=negotiation.pk,
        after_id=None,
        version=cast.deal_a.version,
        actor=cast.manager_a,
    )
    expect(column(page, negotiation).locator(f"#deal-{cast.deal_a.pk}")).to_be_visible(
        timeout=(POLL_SECONDS + 3) * 1000
    )
    assert polls

    # No poll while a card is being dragged, nor while the tab is hidden.
    page.evaluate("window.crmBoardDragging = true")
    polls.clear()
    page.wait_for_timeout((POLL_SECONDS + 1) * 1000)
    assert polls == []
    page.evaluate(
        """() => {
          window.crmBoardDragging = false;
          Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
        }"""
    )
    page.wait_for_timeout((POLL_SECONDS + 1) * 1000)
    assert polls == []
    page.evaluate("delete document.hidden")
    page.wait_for_timeout((POLL_SECONDS + 1) * 1000)
    assert polls, "the poll resumes when the tab is visible and nothing is dragged"
    assert_clean(page, csp_violations)


def test_board_filters_show_the_htmx_indicator_from_app_css(new_page, cast, csp_violations):
    page = new_page(cast.rep_a)
    page.goto(f"/pipeline/{cast.pipeline.pk}/")
    indicator = page.locator("#board-loading")
    expect(indicator).to_be_hidden()
    # While the request is on its way (htmx:beforeSend), the spinner shows.
    page.evaluate(
        """() => document.body.addEventListener("htmx:beforeSend", () => {
          window.spinner = getComputedStyle(document.getElementById("board-loading")).display;
        })"""
    )
    page.fill("#id_q", "Rep")
    expect(page).to_have_url(re.compile(r"q=Rep"))
    assert page.evaluate("window.spinner") not in (None, "none")
    expect(indicator).to_be_hidden()
    assert_clean(page, csp_violations)


def test_deal_activities_and_profile_pages_under_the_policy(new_page, cast, csp_violations):
    page = new_page(cast.rep_a)
    page.goto(f"/deals/{cast.deal_a.pk}/")
    page.get_by_role("link", name="Schedule").click()
    page.get_by_label("Subject").fill("Call about pricing")
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("Scheduled: Call about pricing").wait_for()
    assert (
        page.evaluate("getComputedStyle(document.getElementById('activities')).scrollMarginTop")
        == "80px"
    )

    for url in ("/activities/", "/notifications/", "/deals/", "/profile/", "/password/"):
        page.goto(url)
        expect(page.locator("main")).to_be_visible()
    assert_clean(page, csp_violations)


def test_dashboard_draws_charts_and_bars_under_the_policy(new_page, cast, csp_violations):
    now = timezone.now()
    negotiation = cast.pipeline.stages.order_by("order").last()
    for rep, value in [(cast.rep_a, "3000.00"), (cast.rep_a2, "1200.00")]:
        deal = services.deal_create(
            title=f"{rep.username} win",
            owner=rep,
            stage=negotiation,
            value=Decimal(value),
            actor=rep,
            created_at=now - timedelta(days=3),
        )
        services.deal_mark_won(deal=deal, version=deal.version, actor=rep)
    Quota.objects.create(
        team=cast.team_a,
        period=PeriodKind.QUARTER,
        period_start=now.date().replace(month=(now.month - 1) // 3 * 3 + 1, day=1),
        amount=Decimal("10000.00"),
    )
    page = new_page(cast.manager_a)
    page.goto("/reports/")
    for name in ("won-by-month", "funnel", "win-rate"):
        assert page.evaluate(
            f"() => !!Chart.getChart(document.querySelector('canvas[data-chart={name}]'))"
        ), name
    # Bars and markers take their size from data-css-vars (no style attribute).
    filled = page.locator(".quota-track .progress-bar").first.get_attribute("data-css-vars")
    share = float(re.fullmatch(r"--filled: ([\d.]+)%", filled).group(1)) / 100
    assert share > 0
    # Bootstrap animates the width: wait for the bar to reach its share of the track.
    page.wait_for_function(
        """share => {
          const bar = document.querySelector(".quota-track .progress-bar");
          const width = (el) => el.getBoundingClientRect().width;
          const ratio = width(bar) / width(bar.parentElement);
          return Math.abs(ratio - share) < 0.01;
        }""",
        arg=share,
    )
    tall = page.locator(".chart-box-tall").first
    assert tall.evaluate("el => el.style.getPropertyValue('--bars')") == "2"

    # A filter applied with htmx redraws them, still without a violation.
    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.locator("#breakdown-title")).to_have_text("By team")
    # Back loads the page again: htmx keeps no snapshot (deal data) in localStorage.
    page.go_back()
    expect(page).not_to_have_url(re.compile("by=team"))
    expect(page.locator("#breakdown-title")).not_to_have_text("By team")
    assert page.evaluate("localStorage.getItem('htmx-history-cache')") is None
    assert_clean(page, csp_violations)
    screenshot(page, "reports-under-csp")


def test_admin_pages_under_the_policy(new_page, cast, csp_violations):
    page = new_page(cast.admin)
    for url in (
        "/admin/",
        "/admin/pipeline/deal/",
        f"/admin/pipeline/deal/{cast.deal_a.pk}/change/",
        f"/admin/teams/user/{cast.rep_a.pk}/change/",
        "/admin/teams/quota/add/",
        "/admin/axes/accessattempt/",
    ):
        page.goto(url)
        expect(page.locator("#content")).to_be_visible()
    # The deal form's autocomplete widgets (select2) open under the policy.
    page.goto(f"/admin/pipeline/deal/{cast.deal_a.pk}/change/")
    page.locator("#id_owner").locator("xpath=..").locator(".select2-selection").click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    assert csp_violations == [], csp_violations


def test_login_lockout_page_under_the_policy(new_page, cast, csp_violations, settings):
    settings.AXES_FAILURE_LIMIT = 2
    page = new_page()
    for _ in range(2):
        page.goto("/login/")
        page.fill("#id_username", "rep_a")
        page.fill("#id_password", "wrong")
        page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    screenshot(page, "login-locked-out")
    assert csp_violations == [], csp_violations

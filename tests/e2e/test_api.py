"""The API's interactive docs and the profile's tokens in headless Chromium, under the CSP."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_docs_render_every_group_under_the_csp(new_page):
    page = new_page()
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CRM API")
    for tag in ("deals", "pipelines", "organizations", "contacts", "activities", "notes"):
        expect(page.locator(f"#operations-tag-{tag}")).to_be_visible()
    expect(page.locator("button.authorize")).to_be_visible()
    screenshot(page, "api-docs-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "api-docs-390")


def test_rep_creates_a_token_reads_it_once_and_revokes_it(new_page, cast):
    page = new_page(cast.rep_a)
    page.goto("/profile/")
    page.fill("#id_name", "Laptop script")
    page.check("input[name=scope][value=write]")
    page.click("text=Create token")
    secret = page.locator("#new-api-token")
    expect(secret).to_have_value(__import__("re").compile(r"^crm_"))
    expect(page.locator("#api-tokens")).to_contain_text("Laptop script")
    screenshot(page, "api-tokens-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "api-tokens-390")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#api-tokens button:has-text('Revoke')")
    expect(page.locator("#api-tokens")).to_contain_text("You have no API tokens.")
    expect(page.locator("#new-api-token")).to_have_count(0)

"""The leads inbox in headless Chromium: add a lead in the dialog, work it, qualify it and
land on the new deal; screenshots at desktop and phone widths in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, Organization
from leads.models import Lead, LeadLabel, LeadSource, LeadStatus
from leads.services import lead_create
from pipeline.models import Deal
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_rep_adds_a_lead_works_it_and_qualifies_it_into_a_deal(new_page, cast):
    referral = LeadSource.objects.create(name="Referral", weight=25)
    LeadLabel.objects.create(name="Hot", colour="danger")
    acme = Organization.objects.create(name="Acme Robotics", employees=400, owner=cast.rep_a)
    Contact.objects.create(
        organization=acme,
        first_name="Ada",
        last_name="Byron",
        email="ada@acme.example",
        owner=cast.rep_a,
    )
    lead_create(title="Small fry", source=referral, owner=cast.rep_a, actor=cast.rep_a)

    page = new_page(cast.rep_a)
    page.goto("/leads/")
    page.get_by_role("link", name="Add lead").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Title")).to_be_visible()
    # Bootstrap focuses the dialog itself once it has faded in; type after that, as people do.
    page.wait_for_function("() => document.activeElement?.id === 'lead-dialog'")
    dialog.get_by_label("Title").fill("Acme Robotics: 40 seats")
    dialog.get_by_label("Source").select_option(label="Referral")
    # The contact is a typeahead over what rep_a may see; picking it brings its organization.
    contact = dialog.get_by_role("combobox", name="Contact")
    contact.fill("Ada")
    dialog.get_by_role("option", name=re.compile("Ada Byron")).click()
    expect(contact).to_have_value("Ada Byron")
    dialog.get_by_label("Value estimate").fill("30000")
    dialog.get_by_label("Hot").check()
    dialog.get_by_role("button", name="Add lead").click()
    expect(page.locator(".toast-body").last).to_contain_text("Added “Acme Robotics: 40 seats”")
    expect(dialog).to_be_hidden()
    # The inbox reloads by itself, the new lead on top: 25 + 15 + 10 + 15 = 65.
    first_row = page.locator("#lead-table tbody tr").first
    expect(first_row).to_contain_text("Acme Robotics: 40 seats")
    expect(first_row).to_contain_text("65")
    screenshot(page, "leads-inbox-1280")

    first_row.get_by_role("link", name="Acme Robotics: 40 seats").click()
    expect(page.locator("#lead-score")).to_contain_text("Company size: 400 employees")
    page.get_by_role("link", name="Schedule").click()
    page.get_by_label("Subject").fill("Qualification call")
    page.get_by_role("button", name="Schedule").click()
    # Planning a next step adds 5 points; the score redraws without a reload.
    expect(page.locator("#lead-score .badge").first).to_have_text("70")
    screenshot(page, "leads-detail-1280")

    page.get_by_role("button", name="Qualify: make it a deal").click()
    deal = Deal.objects.get(title="Acme Robotics: 40 seats")
    expect(page).to_have_url(f"{page.url.split('/deals/')[0]}/deals/{deal.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Robotics: 40 seats")
    expect(page.locator("#activities")).to_contain_text("Qualification call")
    lead = Lead.objects.get(title="Acme Robotics: 40 seats")
    assert (lead.status, lead.deal) == (LeadStatus.QUALIFIED, deal)


def test_inbox_and_lead_page_fit_a_phone(new_page, cast):
    source = LeadSource.objects.create(name="Website", weight=10)
    lead = lead_create(
        title="A lead with a rather long title to wrap",
        source=source,
        owner=cast.rep_a,
        actor=cast.rep_a,
    )
    page = new_page(cast.rep_a, width=390, height=844)
    page.goto("/leads/")
    expect(page.locator("#lead-table")).to_contain_text("A lead with a rather long title")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "leads-inbox-390")
    page.goto(f"/leads/{lead.pk}/")
    expect(page.get_by_role("button", name="Qualify: make it a deal")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "leads-detail-390")

"""People and companies in headless Chromium: a contact created from inside the deal dialog,
picked with the keyboard, and the screens at desktop and phone widths (test-artifacts/)."""

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from pipeline.models import Deal
from tests.e2e.conftest import screenshot
from tests.factories import make_contact, make_organization

pytestmark = pytest.mark.django_db(transaction=True)


def test_rep_creates_a_contact_inside_the_deal_dialog_and_saves_the_deal_with_it(new_page, cast):
    acme = make_organization("Acme Robotics", owner=cast.rep_a, country="Chile")
    make_organization("Acme Foods", owner=cast.rep_b)  # not rep_a's to see
    page = new_page(cast.rep_a)
    page.goto(f"/pipeline/{cast.pipeline.pk}/")
    page.get_by_role("link", name="Add deal").click()
    dialog = page.locator("#deal-dialog")
    # Bootstrap focuses the dialog once it has finished opening; type after that, as people do.
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'deal-dialog'"
    )
    dialog.get_by_label("Title").fill("Robot arms")
    dialog.get_by_label("Value").fill("25000")

    organization = dialog.get_by_role("combobox", name="Organization")
    organization.fill("acme")
    option = dialog.get_by_role("option", name="Acme Robotics")
    expect(dialog.get_by_role("option", name="New organization “acme”…")).to_be_visible()
    expect(option).to_be_visible()
    expect(dialog.get_by_role("option", name="Acme Foods")).to_have_count(0)
    organization.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    organization.press("Enter")
    expect(organization).to_have_value("Acme Robotics")
    expect(dialog.locator("#id_organization_id")).to_have_value(str(acme.pk))

    contact = dialog.get_by_role("combobox", name="Contact")
    contact.fill("Grace Hopper")
    create = dialog.get_by_role("option", name="New contact “Grace Hopper”…")
    expect(create).to_be_visible()
    contact.press("ArrowDown")
    contact.press("Enter")

    quick = page.locator("#quick-contact-dialog")
    expect(quick.get_by_label("First name")).to_have_value("Grace")
    expect(quick.get_by_label("Last name")).to_have_value("Hopper")
    expect(quick.get_by_role("combobox", name="Organization")).to_have_value("Acme Robotics")
    quick.get_by_label("E-mail").fill("not an address")
    quick.get_by_role("button", name="Add contact").click()
    expect(quick.get_by_text("Enter a valid email address.")).to_be_visible()  # errors re-render
    quick.get_by_label("E-mail").fill("grace@acme.example")
    screenshot(page, "contacts-quick-create-1280")
    quick.get_by_role("button", name="Add contact").click()

    expect(quick).to_be_hidden()
    grace = Contact.objects.get(email="grace@acme.example")
    expect(contact).to_have_value("Grace Hopper")
    expect(dialog.locator("#id_contact_id")).to_have_value(str(grace.pk))
    expect(dialog).to_be_visible()  # the deal dialog stayed open under it
    dialog.get_by_role("button", name="Add deal").click()
    expect(page.locator(".toast-body").last).to_contain_text("Added “Robot arms”")

    deal = Deal.objects.get(title="Robot arms")
    assert (deal.organization, deal.contact) == (acme, grace)
    assert (grace.organization, grace.owner) == (acme, cast.rep_a)


def test_screens_at_desktop_and_phone_widths(new_page, cast):
    acme = make_organization(
        "Acme Robotics", owner=cast.rep_a, country="Chile", sector="technology"
    )
    for first, last in [("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper")]:
        make_contact(
            organization=acme,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}@acme.example",
            phone="+56 2 2345 6789",
            job_title="Engineer",
            owner=cast.rep_a,
        )
    cast.deal_a.organization = acme
    cast.deal_a.contact = Contact.objects.get(first_name="Ada")
    cast.deal_a.save()
    ada = cast.deal_a.contact
    for width, height in ((1280, 900), (390, 844)):
        page = new_page(cast.rep_a, width=width, height=height)
        page.goto("/contacts/")
        expect(page.get_by_role("link", name="Ada Lovelace")).to_be_visible()
        screenshot(page, f"contacts-list-{width}")
        page.goto(f"/contacts/{ada.pk}/")
        expect(page.get_by_role("link", name="ada@acme.example")).to_have_attribute(
            "href", "mailto:ada@acme.example"
        )
        screenshot(page, f"contacts-detail-{width}")
        page.goto(f"/organizations/{acme.pk}/")
        screenshot(page, f"organizations-detail-{width}")
        if width == 1280:  # edit in place: the form swaps in, the saved card swaps back
            page.get_by_role("link", name="Edit").first.click()
            expect(page.get_by_label("Country")).to_have_value("Chile")
            screenshot(page, "organizations-edit-in-place-1280")
            page.get_by_label("Country").fill("Peru")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("#organization-fields")).to_contain_text("Peru")
            expect(page.locator(".toast-body").last).to_contain_text("Saved “Acme Robotics”.")
        page.goto(f"/deals/new/?pipeline={cast.pipeline.pk}")
        box = page.get_by_role("combobox", name="Contact")
        box.fill("a")
        expect(page.get_by_role("option", name="Ada Lovelace")).to_be_visible()
        box.press("ArrowDown")
        screenshot(page, f"deal-form-typeahead-{width}")

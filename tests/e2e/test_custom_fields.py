"""Custom fields in a real browser: an admin defines one, a rep fills it in the add-deal
dialog and sees it on the board's card, on a desktop and on a phone."""

import pytest
from playwright.sync_api import expect

from customfields.models import FieldDefinition
from pipeline.models import Deal
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_defines_a_field_a_rep_fills_it_and_sees_it_on_the_card(new_page, cast):
    admin = new_page(cast.admin)
    admin.goto("/admin/customfields/fielddefinition/add/")
    admin.select_option("#id_kind", "deal")
    admin.fill("#id_key", "tier")
    admin.fill("#id_label", "Tier")
    admin.select_option("#id_type", "choice")
    admin.fill("#id_choices", "Gold\nSilver")
    admin.check("#id_show_on_card")
    admin.click("input[name=_save]")
    expect(admin.locator(".messagelist")).to_contain_text("was added successfully")
    assert FieldDefinition.objects.get(key="tier").show_on_card

    rep = new_page(cast.rep_a)
    rep.goto(f"/pipeline/{cast.pipeline.pk}/")
    rep.get_by_role("link", name="Add deal").click()
    dialog = rep.get_by_role("dialog")
    dialog.get_by_label("Title").fill("Custom deal")
    dialog.get_by_label("Value").fill("2500")
    dialog.get_by_label("Tier", exact=True).select_option("Gold")
    screenshot(rep, "custom-fields-deal-dialog")
    dialog.get_by_role("button", name="Add deal").click()
    card = rep.locator(".deal-card", has_text="Custom deal")
    expect(card).to_contain_text("Tier:")
    expect(card).to_contain_text("Gold")
    assert Deal.objects.get(title="Custom deal").custom == {"tier": "Gold"}
    screenshot(rep, "custom-fields-board")

    # The board's filter narrows to Gold deals.
    rep.locator("#filter-cf_tier").select_option("Gold")
    expect(rep.locator(f"#deal-{cast.deal_a.pk}")).to_be_hidden()
    expect(card).to_be_visible()

    phone = new_page(cast.rep_a, width=390, height=844)
    phone.goto(f"/pipeline/{cast.pipeline.pk}/")
    expect(phone.locator(".deal-card", has_text="Custom deal")).to_contain_text("Gold")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "custom-fields-board-phone")
    phone.goto(f"/deals/{Deal.objects.get(title='Custom deal').pk}/")
    expect(phone.locator("[data-custom-field]")).to_have_text("Gold")
    screenshot(phone, "custom-fields-deal-phone")


def test_the_organization_list_filters_by_a_custom_field_on_a_phone(new_page, cast):
    from customfields.models import FieldDefinition
    from tests.factories import make_organization

    FieldDefinition.objects.create(
        kind="organization",
        key="segment",
        label="Segment",
        type="choice",
        choices="SMB\nEnterprise",
    )
    big = make_organization(name="Big Corp", owner=cast.rep_a)
    big.custom = {"segment": "Enterprise"}
    big.save()
    make_organization(name="Small Shop", owner=cast.rep_a)
    for width in (1280, 390):
        page = new_page(cast.rep_a, width=width, height=844)
        page.goto("/organizations/")
        page.locator("#filter-cf_segment").select_option("Enterprise")
        expect(page.locator("#organization-results")).not_to_contain_text("Small Shop")
        expect(page.locator("#organization-results")).to_contain_text("Big Corp")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"custom-fields-organizations-{width}")
        page.get_by_role("link", name="Big Corp").click()
        expect(page.locator("[data-custom-field]")).to_have_text("Enterprise")
        screenshot(page, f"custom-fields-organization-{width}")

"""The board in a real browser: drag a card, see the headers change, see it live elsewhere."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def column(page, stage):
    return page.locator(f"#column-{stage.pk}")


def drag(page, card, target):
    """Press, move in small steps and release, as a mouse does."""
    card.scroll_into_view_if_needed()
    box, goal = card.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20)
    page.mouse.down()
    steps = 12
    for step in range(1, steps + 1):
        page.mouse.move(
            box["x"]
            + box["width"] / 2
            + (goal["x"] + 40 - box["x"] - box["width"] / 2) * step / steps,
            box["y"] + 20 + (goal["y"] + 30 - box["y"] - 20) * step / steps,
        )
        page.wait_for_timeout(30)
    page.mouse.up()


def test_rep_drags_a_card_and_a_manager_sees_it_move_live(new_page, cast):
    lead, proposal, _ = cast.pipeline.stages.order_by("order")
    rep = new_page(cast.rep_a)
    manager = new_page(cast.manager_a)
    for page in (rep, manager):
        page.goto(f"/pipeline/{cast.pipeline.pk}/")
    card = rep.locator(f"#deal-{cast.deal_a.pk}")
    expect(column(rep, lead).locator(".column-count")).to_have_text("1")
    expect(column(manager, lead).locator(".column-count")).to_have_text("2")

    drag(rep, card, column(rep, proposal).locator(".column-cards"))

    # The move is saved and both headers of the rep's board update without a reload.
    expect(column(rep, proposal).locator(".column-count")).to_have_text("1")
    expect(column(rep, lead).locator(".column-count")).to_have_text("0")
    expect(rep.locator(".toast-body").last).to_contain_text("Moved “Rep A's deal” to Proposal.")
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.stage == proposal

    # Another user, in another browser context, sees it within five seconds, no reload.
    expect(column(manager, proposal).locator(f"#deal-{cast.deal_a.pk}")).to_be_visible(timeout=5000)
    expect(column(manager, lead).locator(".column-count")).to_have_text("1")

    rep.reload()
    expect(column(rep, proposal).locator(f"#deal-{cast.deal_a.pk}")).to_be_visible()
    screenshot(rep, "board-after-drag")


def test_keyboard_user_moves_a_card_with_the_move_to_dialog(new_page, cast):
    lead, _, negotiation = cast.pipeline.stages.order_by("order")
    page = new_page(cast.rep_a)
    page.goto(f"/pipeline/{cast.pipeline.pk}/")
    page.get_by_role("button", name="Move “Rep A's deal” to another stage").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Negotiation").check()
    dialog.get_by_role("button", name="Move").click()
    expect(column(page, negotiation).locator(f"#deal-{cast.deal_a.pk}")).to_be_visible()
    expect(column(page, lead).locator(".column-count")).to_have_text("0")


def test_conflicting_move_puts_the_card_back_where_it_really_is(new_page, cast):
    from pipeline import services

    _lead, proposal, negotiation = cast.pipeline.stages.order_by("order")
    page = new_page(cast.rep_a)
    page.goto(f"/pipeline/{cast.pipeline.pk}/")
    # Stop live updates so that the board is surely stale when the rep drags.
    page.evaluate("document.getElementById('board-poller').remove()")
    services.deal_move(
        deal=cast.deal_a, stage_id=negotiation.pk, after_id=None, version=1, actor=cast.manager_a
    )
    drag(
        page,
        page.locator(f"#deal-{cast.deal_a.pk}"),
        column(page, proposal).locator(".column-cards"),
    )
    expect(page.locator(".toast-body").last).to_contain_text("Someone else changed")
    expect(column(page, negotiation).locator(f"#deal-{cast.deal_a.pk}")).to_be_visible()
    expect(column(page, proposal).locator(".deal-card")).to_have_count(0)


def test_add_deal_dialog(new_page, cast):
    page = new_page(cast.rep_a)
    page.goto(f"/pipeline/{cast.pipeline.pk}/")
    page.get_by_role("link", name="Add deal").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill("Fresh lead")
    dialog.get_by_role("button", name="Add deal").click()
    expect(dialog.get_by_text("Enter a value, or pick a product")).to_be_visible()
    dialog.get_by_label("Value").fill("2500")
    dialog.get_by_role("button", name="Add deal").click()
    expect(page.locator(".deal-card", has_text="Fresh lead")).to_be_visible()
    expect(dialog).to_be_hidden()


def test_board_on_a_phone(new_page, cast):
    page = new_page(cast.rep_a, width=390, height=844)
    page.goto(f"/pipeline/{cast.pipeline.pk}/")
    expect(page.locator(f"#deal-{cast.deal_a.pk}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "board-phone")

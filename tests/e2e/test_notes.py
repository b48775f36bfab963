"""Notes and files on a deal page in headless Chromium, with screenshots in test-artifacts/."""

from datetime import date

import pytest

from notes.models import Attachment, Note
from pipeline import services
from pipeline.models import LostReason
from tests.activities.factories import make_activity
from tests.e2e.conftest import screenshot
from tests.notes.helpers import PDF

pytestmark = pytest.mark.django_db(transaction=True)


def test_rep_adds_a_note_and_a_file_and_sees_both_in_the_timeline(
    new_page, cast, file_storage, tmp_path
):
    make_activity(deal=cast.deal_a, due_date=date(2030, 1, 7), subject="Send the offer")
    services.deal_update(
        deal=cast.deal_a, version=1, actor=cast.manager_a, title="Acme roll-out, 40 seats"
    )
    offer = tmp_path / "Offer 2026.pdf"
    offer.write_bytes(PDF + b"%" * 200_000)
    page = new_page(cast.rep_a)
    page.goto(f"/deals/{cast.deal_a.pk}/")

    page.get_by_label("Add a note").fill("Met **Ana** and Tom.\n\n- wants a pilot\n- budget in Q3")
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added.").wait_for()
    assert page.url.endswith(f"/deals/{cast.deal_a.pk}/")  # no page load: htmx
    timeline = page.locator("#timeline")
    timeline.locator("strong", has_text="Ana").wait_for()

    page.get_by_label("Attach a file").set_input_files(str(offer))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Attached “Offer 2026.pdf”.").wait_for()
    timeline.get_by_role("link", name="Offer 2026.pdf", exact=True).wait_for()

    entries = timeline.locator(".timeline-entry")
    kinds = [entries.nth(i).get_attribute("data-kind") for i in range(entries.count())]
    assert kinds == ["file", "note", "field", "activity", "stage"]
    assert Note.objects.get().author == cast.rep_a
    assert Attachment.objects.get().original_name == "Offer 2026.pdf"

    with page.expect_download() as download:
        timeline.get_by_role("link", name="Offer 2026.pdf", exact=True).click()
    assert download.value.suggested_filename == "Offer 2026.pdf"
    screenshot(page, "notes-deal-page-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "notes-deal-page-390")

    page.get_by_role("link", name="Edit note").click()
    page.get_by_label("Edit note").fill("Met **Ana**: pilot agreed.")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Note saved.").wait_for()
    timeline.get_by_text("pilot agreed").wait_for()
    assert Note.objects.get().body == "Met **Ana**: pilot agreed."

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Delete “Offer 2026.pdf”").click()
    page.get_by_text("Deleted “Offer 2026.pdf”.").wait_for()
    assert not Attachment.objects.exists()


def test_a_refused_file_says_why_in_the_panel(new_page, cast, file_storage, tmp_path):
    disguised = tmp_path / "invoice.pdf"
    disguised.write_bytes(b"MZ\x90\x00" + b"\x00" * 100)
    page = new_page(cast.rep_a)
    page.goto(f"/deals/{cast.deal_a.pk}/")
    page.get_by_label("Attach a file").set_input_files(str(disguised))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("is not a kind of file that can be attached").wait_for()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_mark_lost_dialog_offers_the_reasons(new_page, cast, width):
    for order, name in enumerate(["Price too high", "Chose a competitor", "No budget"], 1):
        LostReason.objects.create(name=name, order=order)
    page = new_page(cast.rep_a, width=width)
    page.goto(f"/deals/{cast.deal_a.pk}/")
    page.get_by_role("button", name="Mark lost").click()
    page.get_by_label("Other (say why)").check()
    page.locator("#lost-form").get_by_role("button", name="Mark lost").click()
    page.get_by_text("Say why the deal was lost.").wait_for()
    screenshot(page, f"notes-mark-lost-{width}")
    page.get_by_label("Chose a competitor").check()
    page.get_by_label("Details").fill("Went with the incumbent")
    page.locator("#lost-form").get_by_role("button", name="Mark lost").click()
    page.get_by_text("is now lost").wait_for()
    page.locator("#timeline").get_by_text("Chose a competitor: Went with the incumbent").wait_for()

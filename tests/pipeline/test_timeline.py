"""The deal timeline: stage changes, activities, notes, files and field changes, newest
first, one query per page, paged by keyset."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from activities.services import activity_complete
from notes.models import Attachment, Note
from notes.services import note_create
from notes.timeline import Cursor
from pipeline import services
from pipeline.queries import deal_timeline
from tests.activities.factories import make_activity
from tests.factories import make_deal, make_organization
from tests.notes.helpers import HTMX, PDF, upload

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media(file_storage):
    return file_storage


def described(entry) -> tuple:
    """An entry as a test reads it: when (minutes after T0), what, who."""
    return (int((entry.at - T0) / timedelta(minutes=1)), entry.kind, str(entry.actor or ""))


def history_of_a_deal(cast, time_machine):
    """A worked example: created at T0, then one thing every ten minutes."""
    stages = list(cast.pipeline.stages.order_by("order"))
    time_machine.move_to(T0, tick=False)
    deal = make_deal(owner=cast.rep_a, stage=stages[0], title="Acme roll-out", created_at=T0)
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    call = make_activity(deal=deal, due_date=date(2026, 3, 3), subject="Discovery call")
    time_machine.move_to(T0 + timedelta(minutes=20), tick=False)
    note_create(subject=deal, body="Budget is **50k**", actor=cast.rep_a)
    time_machine.move_to(T0 + timedelta(minutes=30), tick=False)
    deal = services.deal_move(
        deal=deal, stage_id=stages[1].pk, after_id=None, version=deal.version, actor=cast.rep_a
    )
    time_machine.move_to(T0 + timedelta(minutes=40), tick=False)
    deal = services.deal_update(
        deal=deal,
        version=deal.version,
        actor=cast.manager_a,
        value=Decimal("50000.00"),
        organization=make_organization("Acme"),
    )
    time_machine.move_to(T0 + timedelta(minutes=50), tick=False)
    activity_complete(activity=call, actor=cast.rep_a)
    time_machine.move_to(T0 + timedelta(minutes=60), tick=False)
    from notes.services import attachment_upload

    attachment_upload(subject=deal, file=upload("Offer.pdf", PDF), actor=cast.rep_a)
    time_machine.move_to(T0 + timedelta(minutes=70), tick=False)
    deal = services.deal_mark_lost(
        deal=deal,
        version=deal.version,
        reason=None,
        reason_text="Went with a competitor",
        actor=cast.manager_a,
    )
    return deal


def test_the_timeline_merges_every_kind_newest_first(cast, time_machine):
    deal = history_of_a_deal(cast, time_machine)
    page = deal_timeline(deal)
    assert [described(e) for e in page.entries] == [
        (70, "stage", "Manager_A"),  # marked lost...
        (70, "field", "Manager_A"),  # ...and why, at the same instant, after it
        (60, "file", "Rep_A"),
        (50, "activity_done", "Rep_A"),
        (40, "field", "Manager_A"),  # two fields changed at once: value and organization
        (40, "field", "Manager_A"),
        (30, "stage", "Rep_A"),
        (20, "note", "Rep_A"),
        (10, "activity", "Rep_A"),
        (0, "stage", "Rep_A"),
    ]
    lost, reason, file, done, *_, moved, note, scheduled, entered = page.entries
    assert (lost.c, lost.d) == ("open", "lost")
    assert (reason.a, reason.b, reason.c) == ("lost_reason", "", "Other: Went with a competitor")
    assert (file.a, file.b, file.number) == ("Offer.pdf", "application/pdf", len(PDF))
    assert (done.a, done.b) == ("call", "Discovery call")
    changes = {(e.a, e.b, e.c) for e in page.entries if e.kind == "field" and e.at != lost.at}
    assert changes == {("value", "1,000.00", "50,000.00"), ("organization", "", "Acme")}
    assert (moved.a, moved.b) == ("Lead", "Proposal")
    assert (
        note.a == "Budget is **50k**"
        and str(note.note_html) == "<p>Budget is <strong>50k</strong></p>"
    )
    assert (scheduled.a, scheduled.b) == ("call", "Discovery call")
    assert (entered.a, entered.b, entered.d) == (None, "Lead", "open")
    assert page.next_cursor is None


def test_the_page_shows_what_each_entry_says(client, cast, time_machine):
    deal = history_of_a_deal(cast, time_machine)
    client.force_login(cast.rep_a)
    text = client.get(reverse("pipeline:deal-detail", args=[deal.pk])).text
    for line in [
        "Marked <strong>lost</strong>",
        "Lost reason: <strong>Other: Went with a competitor</strong>",
        ">Offer.pdf</a>",
        "Call done: <strong>Discovery call</strong>",
        "Value: <del>1,000.00</del>",
        "<strong>50,000.00</strong>",
        "Organization: <strong>Acme</strong>",
        "Moved from Lead to <strong>Proposal</strong>",
        "Budget is <strong>50k</strong>",
        "Call scheduled: <strong>Discovery call</strong>",
        "Entered <strong>Lead</strong>",
    ]:
        assert line in text, line
    positions = [text.index(s) for s in ("Marked <strong>lost", "Offer.pdf", "Entered <strong>")]
    assert positions == sorted(positions)


def test_pages_follow_each_other_without_gaps_or_repeats(cast, time_machine):
    deal = history_of_a_deal(cast, time_machine)
    everything = [(e.kind, e.id) for e in deal_timeline(deal).entries]
    seen, before = [], None
    for _ in range(10):
        page = deal_timeline(deal, before=before, limit=3)
        seen += [(e.kind, e.id) for e in page.entries]
        before = page.next_cursor
        if before is None:
            break
    assert seen == everything and len(seen) == 10


def test_the_cursor_survives_a_round_trip_through_the_url():
    cursor = Cursor(at=datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC), rank=4, id=17)
    assert Cursor.parse(str(cursor)) == cursor


@pytest.mark.parametrize(
    ("show", "kinds"),
    [
        ("notes", {"note"}),
        ("files", {"file"}),
        ("activities", {"activity", "activity_done"}),
        ("changes", {"stage", "field"}),
        ("nonsense", {"stage", "field", "note", "file", "activity", "activity_done"}),
    ],
)
def test_the_timeline_narrows_to_some_kinds(cast, time_machine, show, kinds):
    deal = history_of_a_deal(cast, time_machine)
    assert {e.kind for e in deal_timeline(deal, show=show).entries} == kinds


def test_show_older_appends_the_next_page_with_htmx(client, cast, time_machine):
    deal = history_of_a_deal(cast, time_machine)
    for minute in range(25):
        Note.objects.create(
            deal=deal,
            author=cast.rep_a,
            body=f"Note {minute}",
            created_at=T0 + timedelta(hours=2, minutes=minute),
        )
    client.force_login(cast.rep_a)
    page = client.get(reverse("pipeline:deal-detail", args=[deal.pk]))
    first = page.context["history_panel"].page
    assert [e.a for e in first.entries] == [f"Note {m}" for m in range(24, 4, -1)]
    more = client.get(
        reverse("notes:history", args=["deal", deal.pk]),
        {"show": "all", "before": str(first.next_cursor)},
        headers=HTMX,
    )
    assert more.text.lstrip().startswith('<li class="timeline-entry')
    assert "Note 4" in more.text and "Note 0" in more.text and "Note 5" not in more.text
    assert "Marked <strong>lost</strong>" in more.text and "Entered <strong>Lead" in more.text
    assert "Show older" not in more.text  # 5 notes and the 10 entries before: the last page
    # Without JavaScript, the link is the deal page starting at that entry.
    plain = client.get(
        reverse("pipeline:deal-detail", args=[deal.pk]), {"before": str(first.next_cursor)}
    )
    assert [e.a for e in plain.context["history_panel"].page.entries][:2] == ["Note 4", "Note 3"]
    assert "Back to the newest" in plain.text


def test_an_empty_timeline_says_so(client, cast):
    client.force_login(cast.rep_a)
    url = reverse("notes:history", args=["deal", cast.deal_a.pk])
    response = client.get(url, {"show": "files"}, headers=HTMX)
    assert (
        "No files yet." in response.text and "Add a note or attach a file above." in response.text
    )


@pytest.mark.parametrize("size", [1, 30])
def test_the_deal_page_runs_a_fixed_number_of_queries(client, cast, assert_max_queries, size):
    """The cap of the activity panel's test (11) holds with notes, files and history."""
    deal = cast.deal_a
    client.force_login(cast.rep_a)
    for index in range(size):
        note_create(subject=deal, body=f"Note **{index}**", actor=cast.rep_a)
        Attachment.objects.create(
            deal=deal,
            uploaded_by=cast.rep_a,
            file="attachments/x.pdf",
            original_name=f"{index}.pdf",
            content_type="application/pdf",
            size=10,
        )
        deal = services.deal_update(
            deal=deal, version=deal.version, actor=cast.rep_a, title=f"Title {index}"
        )
        make_activity(deal=deal, due_date=date(2030, 1, 1) + timedelta(days=index))
    with assert_max_queries(11):
        response = client.get(reverse("pipeline:deal-detail", args=[deal.pk]))
    assert response.text.count('class="timeline-entry') == min(20, 4 * size + 1)

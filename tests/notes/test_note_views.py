"""Adding, editing and deleting notes on a deal page, and the panel's htmx views."""

import pytest
from django.urls import reverse

from notes.models import Note
from tests.conftest import VISIBILITY_CASES
from tests.notes.helpers import HTMX, is_fragment, toast_message


def create_url(deal):
    return reverse("notes:note-create", args=["deal", deal.pk])


def notes_of(deal):
    return list(Note.objects.filter(deal=deal).values_list("body", flat=True))


def test_urls_name_the_subject():
    assert reverse("notes:note-create", args=["deal", 7]) == "/deals/7/notes/"
    assert reverse("notes:history", args=["deal", 7]) == "/deals/7/history/"


def test_rep_adds_a_note_and_htmx_gets_the_panel_back(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(
        create_url(cast.deal_a), {"body": "Met *Ana*; she wants a pilot."}, headers=HTMX
    )
    assert response.status_code == 200
    assert is_fragment(response) and response.text.lstrip().startswith('<section id="history"')
    assert toast_message(response) == "Note added."
    note = Note.objects.get()
    assert (note.deal, note.author, note.body) == (
        cast.deal_a,
        cast.rep_a,
        "Met *Ana*; she wants a pilot.",
    )
    assert "Met <em>Ana</em>; she wants a pilot." in response.text
    assert f'id="timeline-note-{note.pk}"' in response.text


def test_without_javascript_a_note_redirects_to_the_deal_page(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(create_url(cast.deal_a), {"body": "Plain form"}, follow=True)
    assert response.redirect_chain == [
        (reverse("pipeline:deal-detail", args=[cast.deal_a.pk]) + "#history", 302)
    ]
    assert "Note added." in response.text and "Plain form" in response.text


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_note_is_refused_with_a_message(client, cast, body):
    client.force_login(cast.rep_a)
    response = client.post(create_url(cast.deal_a), {"body": body}, headers=HTMX)
    assert response.status_code == 200 and "Write something first." in response.text
    plain = client.post(create_url(cast.deal_a), {"body": body})
    assert plain.status_code == 400 and "Write something first." in plain.text
    assert notes_of(cast.deal_a) == []


def test_a_note_over_the_limit_is_refused_and_keeps_the_text(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(create_url(cast.deal_a), {"body": "x" * 20_001}, headers=HTMX)
    assert "at most 20000 characters" in response.text
    assert 'aria-invalid="true"' in response.text and "x" * 100 in response.text
    assert notes_of(cast.deal_a) == []


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_adding_a_note_follows_deal_visibility(client, cast, viewer, deal, visible):
    client.force_login(cast.user(viewer))
    response = client.post(create_url(cast.deal(deal)), {"body": "Hello"}, headers=HTMX)
    assert response.status_code == (200 if visible else 404)
    assert notes_of(cast.deal(deal)) == (["Hello"] if visible else [])


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_a_note_is_seen_exactly_where_its_deal_is(client, cast, note_by, viewer, deal, visible):
    note = note_by(cast.deal(deal).owner, cast.deal(deal))
    client.force_login(cast.user(viewer))
    detail = client.get(reverse("notes:note-detail", args=[note.pk]), headers=HTMX)
    history = client.get(reverse("notes:history", args=["deal", cast.deal(deal).pk]), headers=HTMX)
    assert detail.status_code == history.status_code == (200 if visible else 404)
    if visible:
        assert "budget approved" in detail.text and "budget approved" in history.text


@pytest.mark.parametrize(("viewer", "deal", "visible"), VISIBILITY_CASES)
def test_outsiders_cannot_edit_or_delete_a_note(client, cast, note_by, viewer, deal, visible):
    note = note_by(cast.deal(deal).owner, cast.deal(deal))
    client.force_login(cast.user(viewer))
    for name in ("notes:note-edit", "notes:note-delete"):
        url = reverse(name, args=[note.pk])
        get, post = client.get(url), client.post(url, {"body": "Changed"})
        if not visible:
            assert get.status_code == post.status_code == 404
    if not visible:
        assert Note.objects.get(pk=note.pk).body == note.body


def test_read_only_viewer_sees_notes_but_every_write_is_403(client, cast, note_by, read_only):
    note = note_by(cast.manager_a)
    client.force_login(cast.manager_a)
    page = client.get(reverse("pipeline:deal-detail", args=[cast.deal_a.pk]))
    assert "budget approved" in page.text
    assert create_url(cast.deal_a) not in page.text
    assert reverse("notes:note-edit", args=[note.pk]) not in page.text
    before = list(Note.objects.values())
    for method, url in [
        ("post", create_url(cast.deal_a)),
        ("get", reverse("notes:note-edit", args=[note.pk])),
        ("post", reverse("notes:note-edit", args=[note.pk])),
        ("get", reverse("notes:note-delete", args=[note.pk])),
        ("post", reverse("notes:note-delete", args=[note.pk])),
    ]:
        response = getattr(client, method)(url, {"body": "Changed"}, headers=HTMX)
        assert response.status_code == 403, url
    assert list(Note.objects.values()) == before


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("notes:note-create", "get"),
        ("notes:note-create", "put"),
        ("notes:history", "post"),
        ("notes:note-detail", "post"),
        ("notes:note-edit", "delete"),
        ("notes:note-delete", "put"),
    ],
)
def test_wrong_methods_are_refused(client, cast, note_by, name, method):
    note = note_by(cast.rep_a)
    client.force_login(cast.rep_a)
    args = ["deal", cast.deal_a.pk] if name in ("notes:note-create", "notes:history") else [note.pk]
    assert getattr(client, method)(reverse(name, args=args)).status_code == 405


def test_author_edits_a_note_in_place(client, cast, note_by):
    note = note_by(cast.rep_a)
    client.force_login(cast.rep_a)
    url = reverse("notes:note-edit", args=[note.pk])
    form = client.get(url, headers=HTMX)
    assert is_fragment(form) and form.text.lstrip().startswith('<li class="timeline-entry')
    assert "<textarea" in form.text and "Called **Ana**: budget approved." in form.text

    saved = client.post(url, {"body": "Budget approved, **signed**."}, headers=HTMX)
    assert saved.status_code == 200 and toast_message(saved) == "Note saved."
    assert "<strong>signed</strong>" in saved.text and "edited" in saved.text
    note.refresh_from_db()
    assert note.body == "Budget approved, **signed**." and note.edited_at is not None


def test_editing_without_javascript_is_a_page_and_redirects_back(client, cast, note_by):
    note = note_by(cast.rep_a)
    client.force_login(cast.rep_a)
    url = reverse("notes:note-edit", args=[note.pk])
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.text and "Edit note" in page.text
    refused = client.post(url, {"body": ""})
    assert refused.status_code == 400 and "Write something first." in refused.text
    response = client.post(url, {"body": "New text"})
    assert response["Location"].endswith(f"#timeline-note-{note.pk}")
    assert Note.objects.get(pk=note.pk).body == "New text"


def test_cancel_shows_the_note_again(client, cast, note_by):
    note = note_by(cast.rep_a)
    client.force_login(cast.rep_a)
    response = client.get(reverse("notes:note-detail", args=[note.pk]), headers=HTMX)
    assert is_fragment(response) and "<strong>Ana</strong>" in response.text
    plain = client.get(reverse("notes:note-detail", args=[note.pk]))
    assert plain["Location"].endswith(f"/deals/{cast.deal_a.pk}/#timeline-note-{note.pk}")


def test_only_the_author_edits_even_the_manager_may_not(client, cast, note_by):
    note = note_by(cast.rep_a)
    client.force_login(cast.manager_a)
    assert client.get(reverse("notes:note-edit", args=[note.pk])).status_code == 403
    response = client.post(reverse("notes:note-edit", args=[note.pk]), {"body": "Mine now"})
    assert response.status_code == 403
    assert Note.objects.get(pk=note.pk).body == note.body


def test_author_deletes_their_note_and_htmx_removes_it(client, cast, note_by):
    note = note_by(cast.rep_a)
    client.force_login(cast.rep_a)
    confirm = client.get(reverse("notes:note-delete", args=[note.pk]))
    assert confirm.status_code == 200 and "Delete this note?" in confirm.text
    response = client.post(reverse("notes:note-delete", args=[note.pk]), headers=HTMX)
    assert response.status_code == 200 and response.text == ""
    assert toast_message(response) == "Note deleted."
    assert not Note.objects.exists()


def test_a_manager_may_delete_a_reps_note_but_a_rep_not_the_managers(client, cast, note_by):
    reps = note_by(cast.rep_a, body="Rep's note")
    managers = note_by(cast.manager_a, body="Manager's note")
    client.force_login(cast.rep_a)
    assert client.post(reverse("notes:note-delete", args=[managers.pk])).status_code == 403
    page = client.get(reverse("pipeline:deal-detail", args=[cast.deal_a.pk]))
    assert reverse("notes:note-delete", args=[reps.pk]) in page.text
    assert reverse("notes:note-delete", args=[managers.pk]) not in page.text
    client.force_login(cast.manager_a)
    response = client.post(reverse("notes:note-delete", args=[reps.pk]))
    assert response.status_code == 302
    assert notes_of(cast.deal_a) == ["Manager's note"]


def test_history_filter_and_plain_redirect(client, cast, note_by):
    note_by(cast.rep_a, body="Only notes please")
    client.force_login(cast.rep_a)
    url = reverse("notes:history", args=["deal", cast.deal_a.pk])
    response = client.get(url, {"show": "notes"}, headers=HTMX)
    assert response.text.lstrip().startswith('<section id="history"')
    assert "Only notes please" in response.text and "Entered" not in response.text
    changes = client.get(url, {"show": "changes"}, headers=HTMX)
    assert (
        "Entered <strong>Lead</strong>" in changes.text and "Only notes please" not in changes.text
    )
    plain = client.get(url, {"show": "notes", "ignored": "x"})
    assert plain["Location"] == f"/deals/{cast.deal_a.pk}/?show=notes#history"


@pytest.mark.parametrize(
    "before", ["garbage", "1.2", "-5.1.1", "99999999999999999999.1.1", "1.x.1"]
)
def test_a_malformed_cursor_starts_from_the_newest(client, cast, note_by, before):
    note_by(cast.rep_a, body="Newest")
    client.force_login(cast.rep_a)
    url = reverse("notes:history", args=["deal", cast.deal_a.pk])
    response = client.get(url, {"before": before}, headers=HTMX)
    assert response.status_code == 200 and "Newest" in response.text

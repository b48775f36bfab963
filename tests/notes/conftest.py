import pytest

from notes.models import Note


@pytest.fixture(autouse=True)
def media(file_storage):
    """Every notes test keeps its uploaded files in a folder of its own."""
    return file_storage


@pytest.fixture
def read_only(monkeypatch):
    """Everyone who sees a deal may change it today; this stands in a viewer who may not."""

    def refuse(user, deal) -> bool:
        return False

    monkeypatch.setattr("pipeline.access.can_change_deal", refuse)
    monkeypatch.setattr("activities.queries.can_change_deal", refuse)


@pytest.fixture
def note_by(cast):
    def make(author, deal=None, body="Called **Ana**: budget approved."):
        return Note.objects.create(deal=deal or cast.deal_a, author=author, body=body)

    return make

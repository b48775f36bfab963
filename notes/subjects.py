"""The "subject" of a note or file: the deal, organization or contact it belongs to.

A note is reached through its subject, and its subject through that object's own access
function, so notes and files are visible exactly when their subject is (404 otherwise) and
changeable by whoever may change it (403 otherwise). Each kind of subject is one entry of
SUBJECT_TYPES; its URLs (`/deals/<id>/notes/`, ...) follow from it (notes/urls.py).

To attach notes and files to another kind of subject: add its entry below, include
"notes/_history.html" in its page with the context of `notes.queries.subject_history`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import reverse

from notes.models import SUBJECT_FIELDS


@dataclass(frozen=True)
class SubjectType:
    # The foreign key's name on Note and Attachment ("deal").
    name: str
    # The first segment of its URLs ("deals": /deals/<id>/notes/).
    url_segment: str
    # The object's access function: (user, id, write) -> the object, or 404 / 403.
    load: Callable[[Any, int, bool], models.Model]
    # The object's page; the notes panel is its #history.
    page_url: Callable[[models.Model], str]
    # Whether the user may change the object (add notes and files). None: ask `load` with
    # write=True (one more query).
    can_change: Callable[[Any, models.Model], bool] | None = None
    # (subject object, show, before, limit) -> notes.timeline.TimelinePage. None: its notes
    # and files only.
    timeline: Callable[..., Any] | None = None


def _load_deal(user, deal_id: int, write: bool):
    from pipeline import access  # looked up at call time: tests stand in a read-only viewer

    return access.deal_for_user(user, deal_id, write=write)


def _can_change_deal(user, deal) -> bool:
    from pipeline import access

    return access.can_change_deal(user, deal)


def _deal_timeline(deal, **options):
    from pipeline.queries import deal_timeline

    return deal_timeline(deal, **options)


def _load_organization(user, organization_id: int, write: bool):
    from contacts import access

    return access.organization_for_user(user, organization_id, write=write)


def _load_contact(user, contact_id: int, write: bool):
    from contacts import access

    return access.contact_for_user(user, contact_id, write=write)


def _can_change_record(user, record) -> bool:
    from contacts import access

    return access.can_change_record(user, record)


SUBJECT_TYPES: dict[str, SubjectType] = {
    "deal": SubjectType(
        name="deal",
        url_segment="deals",
        load=_load_deal,
        page_url=lambda deal: reverse("pipeline:deal-detail", args=[deal.pk]),
        can_change=_can_change_deal,
        timeline=_deal_timeline,
    ),
    "organization": SubjectType(
        name="organization",
        url_segment="organizations",
        load=_load_organization,
        page_url=lambda organization: reverse(
            "contacts:organization-detail", args=[organization.pk]
        ),
        can_change=_can_change_record,
    ),
    "contact": SubjectType(
        name="contact",
        url_segment="contacts",
        load=_load_contact,
        page_url=lambda contact: reverse("contacts:contact-detail", args=[contact.pk]),
        can_change=_can_change_record,
    ),
}
assert set(SUBJECT_TYPES) <= set(SUBJECT_FIELDS)
BY_URL_SEGMENT = {subject_type.url_segment: subject_type for subject_type in SUBJECT_TYPES.values()}


@dataclass(frozen=True)
class Subject:
    """A deal, organization or contact that `user` may see, with whether they may change it."""

    type: SubjectType
    obj: models.Model
    can_change: bool

    @property
    def pk(self) -> int:
        return self.obj.pk

    @property
    def owner_filter(self) -> dict[str, models.Model]:
        """The filter for its notes and files: {"deal": deal}."""
        return {self.type.name: self.obj}

    @property
    def page_url(self) -> str:
        return self.type.page_url(self.obj)

    @property
    def history_url(self) -> str:
        return f"{self.page_url}#history"

    def __str__(self) -> str:
        return str(self.obj)


def subject_for_user(user, type_name: str, subject_id: int, *, write: bool = False) -> Subject:
    """The subject named in a URL, through its access function: 404 when `user` may not see
    it, 403 (write=True) when they may not change it."""
    subject_type = SUBJECT_TYPES[type_name]
    obj = subject_type.load(user, subject_id, write)
    return Subject(subject_type, obj, True if write else _can_change(subject_type, user, obj))


def subject_of_object(user, type_name: str, obj: models.Model) -> Subject:
    """A subject the caller has already read through its access function (its own page)."""
    subject_type = SUBJECT_TYPES[type_name]
    return Subject(subject_type, obj, _can_change(subject_type, user, obj))


def _can_change(subject_type: SubjectType, user, obj: models.Model) -> bool:
    if subject_type.can_change is not None:
        return subject_type.can_change(user, obj)
    try:
        subject_type.load(user, obj.pk, True)
    except PermissionDenied:
        return False
    return True


def subject_type_of(item) -> SubjectType | None:
    """The kind of subject a note or file belongs to (None: a kind not set up here)."""
    for name in SUBJECT_FIELDS:
        if getattr(item, f"{name}_id") is not None:
            return SUBJECT_TYPES.get(name)
    return None

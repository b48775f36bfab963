"""Builders for leads, through the services so that teams and scores are set as in the app."""

import itertools
from datetime import datetime
from decimal import Decimal

from leads.models import Lead, LeadSource
from leads.services import lead_create
from teams.models import User

_sequence = itertools.count(1)


def make_source(name: str | None = None, *, weight: int = 0) -> LeadSource:
    return LeadSource.objects.create(name=name or f"Source {next(_sequence)}", weight=weight)


def make_lead(
    *,
    owner: User,
    source: LeadSource | None = None,
    title: str | None = None,
    value: str | Decimal | None = None,
    created_at: datetime | None = None,
    **extra,
) -> Lead:
    return lead_create(
        title=title or f"Lead {next(_sequence)}",
        source=source or make_source(),
        owner=owner,
        actor=owner,
        value=Decimal(value) if value is not None else None,
        created_at=created_at,
        **extra,
    )

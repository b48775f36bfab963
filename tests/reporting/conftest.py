"""Builders for report tests: deals whose whole history is written by the real services.

Deals are created with `deal_create` and moved, won, lost and reopened through the
pipeline services at a chosen moment (time-machine), so the stage history is exactly what
production writes. Every figure a test expects is worked out in the test itself.
"""

import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from activities.models import Activity, ActivityType
from pipeline.models import Deal, Stage
from pipeline.services import (
    deal_create,
    deal_mark_lost,
    deal_mark_won,
    deal_move,
    deal_reopen,
)
from reporting.periods import Period
from reporting.queries import ReportScope, report_scope
from teams.models import PeriodKind, Quota, User

UTC_ZONE = zoneinfo.ZoneInfo("UTC")


def at(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM[:SS]' (or a bare date at midnight)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def period(start: str, end: str, tz: str = "UTC") -> Period:
    return Period(date.fromisoformat(start), date.fromisoformat(end), zoneinfo.ZoneInfo(tz))


def scope(viewer: User | None, start: str, end: str, tz: str = "UTC", **filters) -> ReportScope:
    return report_scope(viewer, period=period(start, end, tz), **filters)


class History:
    """Writes a deal's life through the services, each step at its own moment."""

    def __init__(self, actor: User):
        self.actor = actor

    def create(self, *, owner: User, stage: Stage, value: str, when: str, **extra) -> Deal:
        return deal_create(
            title=extra.pop("title", f"{owner.username} {value}"),
            owner=owner,
            stage=stage,
            value=Decimal(value),
            actor=self.actor,
            created_at=at(when),
            **extra,
        )

    def move(self, deal: Deal, stage: Stage, when: str) -> Deal:
        with time_machine.travel(at(when), tick=False):
            return deal_move(
                deal=deal, stage_id=stage.pk, after_id=None, version=deal.version, actor=self.actor
            )

    def win(self, deal: Deal, when: str) -> Deal:
        with time_machine.travel(at(when), tick=False):
            return deal_mark_won(deal=deal, version=deal.version, actor=self.actor)

    def lose(self, deal: Deal, when: str, *, reason=None, text: str = "Chose a competitor") -> Deal:
        with time_machine.travel(at(when), tick=False):
            return deal_mark_lost(
                deal=deal, version=deal.version, reason=reason, reason_text=text, actor=self.actor
            )

    def reopen(self, deal: Deal, when: str) -> Deal:
        with time_machine.travel(at(when), tick=False):
            return deal_reopen(deal=deal, version=deal.version, actor=self.actor)

    def won(self, *, owner: User, stage: Stage, value: str, created: str, closed: str) -> Deal:
        return self.win(self.create(owner=owner, stage=stage, value=value, when=created), closed)

    def lost(self, *, owner: User, stage: Stage, value: str, created: str, closed: str) -> Deal:
        return self.lose(self.create(owner=owner, stage=stage, value=value, when=created), closed)


@pytest.fixture
def history(cast) -> History:
    # The cast's own open deals would add to every figure: these tests start empty.
    Deal.objects.all().delete()
    return History(cast.admin)


@pytest.fixture
def stages(cast) -> dict[str, Stage]:
    """The cast pipeline's stages by name: Lead 10 %, Proposal 50 %, Negotiation 80 %."""
    return {stage.name: stage for stage in cast.pipeline.stages.all()}


def make_quota(*, team, amount: str, start: str, rep=None, kind=PeriodKind.QUARTER) -> Quota:
    return Quota.objects.create(
        team=team,
        rep=rep,
        period=kind,
        period_start=date.fromisoformat(start),
        amount=Decimal(amount),
    )


def make_activity(*, deal: Deal, assignee: User, kind: str = ActivityType.CALL, done_at=None):
    done = at(done_at) if done_at else None
    return Activity.objects.create(
        type=kind,
        subject=f"{kind} about {deal.title}",
        deal=deal,
        assignee=assignee,
        due_date=(done or at("2026-01-01")).date(),
        done=done is not None,
        done_at=done,
    )

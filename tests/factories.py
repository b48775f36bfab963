"""Small builders for test data; each takes only what a test cares about."""

import itertools
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from contacts.models import Contact, Organization
from pipeline.models import Deal, DealStageChange, DealStatus, Pipeline, Stage
from teams.models import Role, Team, Territory, User

_sequence = itertools.count(1)


def make_territory(name: str | None = None, *, parent: Territory | None = None) -> Territory:
    return Territory.objects.create(name=name or f"Territory {next(_sequence)}", parent=parent)


def make_team(name: str | None = None, *, territory: Territory | None = None, manager=None) -> Team:
    return Team.objects.create(
        name=name or f"Team {next(_sequence)}",
        territory=territory or make_territory(),
        manager=manager,
    )


def make_user(
    username: str | None = None,
    *,
    role: str = Role.REP,
    team: Team | None = None,
    time_zone: str = "UTC",
    **extra,
) -> User:
    username = username or f"user{next(_sequence)}"
    user = User(
        username=username,
        first_name=username.title(),
        role=role,
        team=team,
        time_zone=time_zone,
        email=f"{username}@example.com",
        **extra,
    )
    user.set_password("pw")
    user.save()
    return user


def make_pipeline(
    name: str | None = None, stages=(("Lead", 10), ("Proposal", 50), ("Negotiation", 80))
) -> Pipeline:
    pipeline = Pipeline.objects.create(name=name or f"Pipeline {next(_sequence)}")
    for order, (stage_name, probability) in enumerate(stages, start=1):
        Stage.objects.create(
            pipeline=pipeline,
            name=stage_name,
            order=order,
            win_probability=probability,
            rotting_days=14,
        )
    return pipeline


def make_organization(
    name: str | None = None, *, owner: User | None = None, **extra
) -> Organization:
    return Organization.objects.create(name=name or f"Org {next(_sequence)}", owner=owner, **extra)


def make_contact(
    *,
    organization: Organization | None = None,
    first_name: str | None = None,
    last_name: str = "Doe",
    email: str = "",
    owner: User | None = None,
    **extra,
) -> Contact:
    return Contact.objects.create(
        organization=organization or make_organization(owner=owner),
        first_name=first_name or f"Person{next(_sequence)}",
        last_name=last_name,
        email=email,
        owner=owner,
        **extra,
    )


def make_deal(
    *,
    owner: User,
    stage: Stage,
    value: str | Decimal = "1000.00",
    status: str = DealStatus.OPEN,
    title: str | None = None,
    created_at: datetime | None = None,
    closed_at: datetime | None = None,
    organization: Organization | None = None,
    position: int | None = None,
    **extra,
) -> Deal:
    created_at = created_at or timezone.now()
    if status != DealStatus.OPEN and closed_at is None:
        closed_at = created_at
    number = next(_sequence)
    deal = Deal.objects.create(
        title=title or f"Deal {number}",
        owner=owner,
        team=owner.team,
        territory=owner.team.territory if owner.team else None,
        pipeline_id=stage.pipeline_id,
        stage=stage,
        value=Decimal(value),
        status=status,
        created_at=created_at,
        stage_entered_at=created_at,
        closed_at=closed_at,
        organization=organization,
        position=number * 1024 if position is None else position,
        **extra,
    )
    DealStageChange.objects.create(
        deal=deal,
        to_stage=stage,
        to_status=DealStatus.OPEN,
        changed_by=owner,
        changed_at=created_at,
    )
    if status != DealStatus.OPEN:
        DealStageChange.objects.create(
            deal=deal,
            from_stage=stage,
            to_stage=stage,
            from_status=DealStatus.OPEN,
            to_status=status,
            changed_by=owner,
            changed_at=closed_at,
        )
    return deal


def make_many_deals(count: int, *, owner: User, stages, value: str = "100.00") -> list[Deal]:
    """`count` open deals spread over `stages`, inserted in bulk (for size-dependence tests)."""
    now = timezone.now()
    start = next(_sequence) * 1_000_000
    deals = [
        Deal(
            title=f"Bulk deal {start + index}",
            owner=owner,
            team=owner.team,
            territory=owner.team.territory if owner.team else None,
            pipeline_id=stages[index % len(stages)].pipeline_id,
            stage=stages[index % len(stages)],
            value=Decimal(value),
            created_at=now,
            stage_entered_at=now,
            position=(start + index) * 1024,
        )
        for index in range(count)
    ]
    return Deal.objects.bulk_create(deals)

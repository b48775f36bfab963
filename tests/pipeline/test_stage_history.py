"""The entry facts of `DealStageChange` (`entered_before_at`, `moved_on_at`) are derived data:
they must always equal what a replay of the history says."""

import importlib
import random
from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection

from pipeline import services
from pipeline.models import Deal, DealStageChange, DealStatus
from tests.factories import make_deal

backfill_migration = importlib.import_module("pipeline.migrations.0005_stage_entry_facts")


def replayed_facts() -> dict[int, tuple[datetime | None, datetime | None]]:
    """For each entry row: the deal's previous entry into the same stage, and its earliest
    later entry into a further stage."""
    rows = list(DealStageChange.objects.select_related("to_stage").order_by("changed_at", "id"))
    entries = [
        r
        for r in rows
        if r.to_status == DealStatus.OPEN
        and (r.from_stage_id is None or r.from_status == DealStatus.OPEN)
    ]
    expected = {}
    for row in entries:
        later = [
            other.changed_at
            for other in entries
            if other.deal_id == row.deal_id
            and other.changed_at > row.changed_at
            and other.to_stage.order > row.to_stage.order
        ]
        earlier = [
            other.changed_at
            for other in entries
            if other.deal_id == row.deal_id
            and other.changed_at < row.changed_at
            and other.to_stage_id == row.to_stage_id
        ]
        expected[row.pk] = (max(earlier, default=None), min(later, default=None))
    return expected


def stored_facts() -> dict[int, tuple[datetime | None, datetime | None]]:
    rows = DealStageChange.objects.filter(pk__in=replayed_facts().keys())
    return {
        pk: (before, moved)
        for pk, before, moved in rows.values_list("pk", "entered_before_at", "moved_on_at")
    }


def test_moves_keep_moved_on_equal_to_a_replay_of_the_history(cast):
    stages = list(cast.pipeline.stages.order_by("order"))
    deals = [
        make_deal(owner=cast.rep_a, stage=stages[0], created_at=datetime(2026, 1, 1, tzinfo=UTC))
        for _ in range(6)
    ]
    rng = random.Random(7)
    moment = datetime(2026, 1, 2, 9, tzinfo=UTC)
    for step in range(120):
        moment += timedelta(hours=rng.randint(1, 30))
        deal = Deal.objects.get(pk=rng.choice(deals).pk)
        with time_machine.travel(moment, tick=False):
            if deal.status != DealStatus.OPEN:
                services.deal_reopen(deal=deal, version=deal.version, actor=cast.rep_a)
            elif step % 17 == 0:
                services.deal_mark_lost(
                    deal=deal,
                    version=deal.version,
                    reason=None,
                    reason_text="Timing",
                    actor=cast.rep_a,
                )
            else:
                services.deal_move(
                    deal=deal,
                    stage_id=rng.choice(stages).pk,
                    after_id=None,
                    version=deal.version,
                    actor=cast.rep_a,
                )
    expected = replayed_facts()
    assert sum(moved is not None for _, moved in expected.values()) > 20  # went forward
    assert sum(before is not None for before, _ in expected.values()) > 20  # came back
    assert stored_facts() == expected


def test_the_migrations_backfill_equals_what_moves_maintain(cast):
    stages = list(cast.pipeline.stages.order_by("order"))
    deal = cast.deal_a
    moments = [deal.created_at + timedelta(days=days) for days in (1, 2, 3, 4)]
    for moment, stage in zip(moments, [stages[2], stages[0], stages[1], stages[2]], strict=True):
        with time_machine.travel(moment, tick=False):
            deal = services.deal_move(
                deal=deal, stage_id=stage.pk, after_id=None, version=deal.version, actor=cast.rep_a
            )
    maintained = stored_facts()
    DealStageChange.objects.update(moved_on_at=None, entered_before_at=None)
    with connection.cursor() as cursor:
        for statement in backfill_migration.BACKFILL:
            cursor.execute(statement)
    assert stored_facts() == maintained == replayed_facts()
    # Lead was left for Negotiation a day after creation; the later Lead entry moved on to
    # Proposal a day after it came back.
    lead_entries = DealStageChange.objects.filter(deal=deal, to_stage=stages[0]).order_by(
        "changed_at"
    )
    assert [row.moved_on_at for row in lead_entries] == [moments[0], moments[2]]
    assert [row.entered_before_at for row in lead_entries] == [None, deal.created_at]


def test_admin_cannot_change_a_deals_stage_behind_the_historys_back(client, cast):
    from django.urls import reverse

    client.force_login(cast.admin)
    page = client.get(reverse("admin:pipeline_deal_change", args=[cast.deal_a.pk]))
    assert 'name="stage"' not in page.text and 'name="status"' not in page.text
    assert client.get(reverse("admin:pipeline_deal_add")).status_code == 403


def test_one_definition_of_a_stage_entry_for_the_services_and_the_reports(cast):
    """`stage_entry` picks the rows the replay above counts as entries, and nothing else."""
    from pipeline.models import stage_entry

    stages = list(cast.pipeline.stages.order_by("order"))
    deal = cast.deal_a
    deal = services.deal_move(
        deal=deal, stage_id=stages[1].pk, after_id=None, version=deal.version, actor=cast.rep_a
    )
    deal = services.deal_mark_won(deal=deal, version=deal.version, actor=cast.rep_a)
    deal = services.deal_reopen(deal=deal, version=deal.version, actor=cast.rep_a)
    rows = DealStageChange.objects.filter(deal=deal)
    entries = set(rows.filter(stage_entry()).values_list("pk", flat=True))
    assert entries == set(replayed_facts()) & set(rows.values_list("pk", flat=True))
    assert len(entries) == 2  # entered Lead, moved to Proposal; closing and reopening are not
    through_deals = Deal.objects.filter(stage_entry("stage_changes__"), pk=deal.pk)
    assert through_deals.count() == 2

"""The benchmark's generated data, small: its stage histories agree with the deals, and the
dashboard's history figures equal a brute-force replay of every deal's history in Python."""

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from io import StringIO

import pytest
from django.utils import timezone

from pipeline.models import Deal, DealStageChange, DealStatus, Stage
from reporting.management.commands.bench_dashboard import ADMIN_USERNAME, Command
from reporting.periods import Preset, preset_period
from reporting.queries import report_scope, sales_dashboard
from teams.models import User
from tests.reporting.conftest import UTC_ZONE

pytestmark = pytest.mark.django_db(transaction=True)


def half_up(value: Fraction) -> Decimal:
    whole = (value.numerator * 200 + value.denominator) // (2 * value.denominator)
    return Decimal(whole).scaleb(-2)


@pytest.fixture
def generated(requires_postgres):
    Command(stdout=StringIO()).generate(3000)
    changes = defaultdict(list)
    for change in DealStageChange.objects.order_by("changed_at", "id"):
        changes[change.deal_id].append(change)
    return {deal.pk: deal for deal in Deal.objects.all()}, changes


def test_every_history_starts_at_creation_and_ends_in_the_deals_state(generated):
    deals, changes = generated
    assert len(deals) == 3000
    for deal in deals.values():
        rows = changes[deal.pk]
        assert rows[0].from_stage_id is None and rows[0].changed_at == deal.created_at
        assert (rows[-1].to_stage_id, rows[-1].to_status) == (deal.stage_id, deal.status)
        if deal.status != DealStatus.OPEN:
            assert rows[-1].changed_at == deal.closed_at


def test_funnel_and_pipeline_at_the_start_equal_a_replay_of_the_histories(generated):
    deals, changes = generated
    stages = {stage.pk: stage for stage in Stage.objects.all()}
    now = timezone.now()
    quarter = preset_period(Preset.THIS_QUARTER, today=now.date(), tz=UTC_ZONE)
    start, end = quarter.start_at, quarter.end_before

    # The open pipeline just before the quarter began: each deal's state after its last
    # change before then.
    open_then = [0, Fraction(0), Fraction(0)]
    # The funnel: deals entering a stage in the quarter; later entering a further stage of
    # the same pipeline; won now.
    entered, moved_on, won = defaultdict(set), defaultdict(set), defaultdict(set)
    for deal_id, rows in changes.items():
        before = [row for row in rows if row.changed_at < start]
        if before and before[-1].to_status == DealStatus.OPEN:
            value = Fraction(deals[deal_id].value)
            open_then[0] += 1
            open_then[1] += value
            open_then[2] += value * stages[before[-1].to_stage_id].win_probability / 100
        entries = [
            row
            for row in rows
            if row.to_status == DealStatus.OPEN
            and (row.from_stage_id is None or row.from_status == DealStatus.OPEN)
        ]
        for index, entry in enumerate(entries):
            if not start <= entry.changed_at < end:
                continue
            stage = stages[entry.to_stage_id]
            entered[stage.pk].add(deal_id)
            if deals[deal_id].status == DealStatus.WON:
                won[stage.pk].add(deal_id)
            if any(
                stages[later.to_stage_id].pipeline_id == stage.pipeline_id
                and stages[later.to_stage_id].order > stage.order
                and later.changed_at > entry.changed_at
                for later in entries[index + 1 :]
            ):
                moved_on[stage.pk].add(deal_id)

    admin = User.objects.get(username=ADMIN_USERNAME)
    report = sales_dashboard(report_scope(admin, period=quarter), by="rep", now=now)
    previous = {tile.name: tile.previous for tile in report.tiles}
    assert previous["open_deals"] == open_then[0]
    assert previous["open_value"] == half_up(open_then[1])
    assert previous["weighted_value"] == half_up(open_then[2])
    by_stage = {(f.pipeline, f.stage): (f.entered, f.moved_on, f.won) for f in report.funnel}
    assert by_stage == {
        (stage.pipeline.name, stage.name): (
            len(entered[pk]),
            len(moved_on[pk]),
            len(won[pk]),
        )
        for pk, stage in stages.items()
    }
    assert sum(len(deal_ids) for deal_ids in entered.values()) > 100

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from pipeline.models import Deal, DealStageChange, DealStatus, Stage
from teams.models import Quota, Team, Territory, User, quarter_bounds


@pytest.mark.django_db
@time_machine.travel("2026-11-27 09:00:00+00:00", tick=False)
def test_seed_demo_builds_a_lively_organisation_up_to_today():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "ada.admin" in out.getvalue() and "password 'demo'" in out.getvalue()

    assert (
        Territory.objects.count() >= 3 and Territory.objects.filter(parent__isnull=False).exists()
    )
    assert Team.objects.count() >= 3
    assert User.objects.filter(role="manager").count() == Team.objects.count()
    assert 5 <= Stage.objects.count() <= 7
    assert Deal.objects.count() >= 2000
    for stage in Stage.objects.all():
        assert stage.deals.filter(status=DealStatus.OPEN).exists(), stage.name
    assert Deal.objects.filter(status=DealStatus.WON).exists()
    assert Deal.objects.filter(status=DealStatus.LOST).exclude(lost_reason="").exists()

    span = DealStageChange.objects.aggregate(first=Min("changed_at"), last=Max("changed_at"))
    now = timezone.now()
    assert span["first"] < now - timedelta(days=480)
    assert now - timedelta(days=7) < span["last"] <= now
    assert not Deal.objects.filter(closed_at__gt=now).exists()

    current, _ = quarter_bounds(now.date())
    previous, _ = quarter_bounds(current - timedelta(days=1))
    assert set(Quota.objects.values_list("period_start", flat=True)) == {previous, current}
    assert Quota.objects.filter(rep__isnull=True).count() == 2 * Team.objects.count()

    # Every deal's history ends where the deal is.
    for deal in Deal.objects.filter(status=DealStatus.OPEN)[:200]:
        assert deal.stage_changes.last().to_stage_id == deal.stage_id


def fingerprint():
    return (
        Deal.objects.aggregate(total=Sum("value"))["total"],
        list(
            Deal.objects.order_by("created_at").values_list("title", "status", "stage__name")[:50]
        ),
        DealStageChange.objects.count(),
        Quota.objects.aggregate(total=Sum("amount"))["total"],
    )


@pytest.mark.django_db
@time_machine.travel("2026-11-27 09:00:00+00:00", tick=False)
def test_seed_demo_is_reproducible_and_refuses_a_full_database():
    with transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        first = fingerprint()
        transaction.set_rollback(True)
    assert not Deal.objects.exists()

    call_command("seed_demo", stdout=StringIO())
    assert fingerprint() == first
    with pytest.raises(CommandError, match="already holds"):
        call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "not seeded" in out.getvalue()
    assert fingerprint() == first

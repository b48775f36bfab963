"""The demo's leads: sources, labels, scores from the real scorer, some decided; reproducible."""

import pytest
import time_machine
from django.db import transaction
from django.db.models import Count

from leads.demo import seed_demo_leads
from leads.models import Lead, LeadLabel, LeadSource, LeadStatus
from leads.services import leads_rescore
from pipeline.demo import seed_demo
from pipeline.models import DealStageChange

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-11-27 09:00:00+00:00", tick=False):
        yield


def fingerprint():
    return list(
        Lead.objects.order_by("created_at", "title").values_list(
            "title", "source__name", "status", "score", "value", "owner__username"
        )
    )


def test_demo_leads_are_scored_labelled_and_partly_decided():
    seed_demo(deal_count=100)
    assert seed_demo_leads(count=200) == 200
    assert LeadSource.objects.count() >= 5 and LeadLabel.objects.count() >= 5
    by_status = dict(Lead.objects.values_list("status").annotate(n=Count("pk")).order_by())
    assert by_status[LeadStatus.OPEN] > 100
    assert by_status[LeadStatus.QUALIFIED] > 10 and by_status[LeadStatus.DISQUALIFIED] > 10
    qualified = Lead.objects.filter(status=LeadStatus.QUALIFIED)
    assert not qualified.filter(deal__isnull=True).exists()
    for lead in qualified.select_related("deal")[:20]:
        assert lead.deal.title == lead.title and lead.deal.created_at == lead.decided_at
        assert DealStageChange.objects.filter(deal=lead.deal).count() == 1
    assert not Lead.objects.filter(status=LeadStatus.DISQUALIFIED, disqualify_reason="").exists()
    assert Lead.objects.filter(labels__isnull=False).distinct().count() > 50
    scores = set(Lead.objects.values_list("score", flat=True))
    assert len(scores) > 5 and max(scores) <= 100
    assert leads_rescore() == 0  # the stored scores are the scorer's
    assert not qualified.filter(activities__isnull=False).exists()


def test_demo_leads_are_reproducible():
    with transaction.atomic():
        seed_demo(deal_count=50)
        seed_demo_leads(count=60)
        first = fingerprint()
        transaction.set_rollback(True)
    assert not Lead.objects.exists()
    seed_demo(deal_count=50)
    seed_demo_leads(count=60)
    assert fingerprint() == first

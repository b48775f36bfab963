"""Leads for the shared cast (tests/conftest.py): each rep owns one open lead.

Who sees which lead is the deals' matrix: rep_a sees lead_a, manager_a sees lead_a and
lead_a2, manager_b and rep_b see lead_b, the admin all three.
"""

from dataclasses import dataclass

import pytest

from leads.models import Lead, LeadLabel, LeadSource
from tests.activities.conftest import dispatch, dispatch_digests, eager_celery  # noqa: F401
from tests.conftest import VISIBILITY
from tests.leads.factories import make_lead

LEAD_VISIBILITY_CASES = [
    (viewer, deal.replace("deal", "lead"), deal in visible)
    for viewer, visible in VISIBILITY.items()
    for deal in ("deal_a", "deal_a2", "deal_b")
]


@dataclass
class LeadCast:
    referral: LeadSource
    website: LeadSource
    hot: LeadLabel
    nurture: LeadLabel
    lead_a: Lead
    lead_a2: Lead
    lead_b: Lead

    def lead(self, name: str) -> Lead:
        return getattr(self, name)


@pytest.fixture
def leads(cast) -> LeadCast:
    referral = LeadSource.objects.create(name="Referral", weight=25)
    website = LeadSource.objects.create(name="Website", weight=10)
    return LeadCast(
        referral=referral,
        website=website,
        hot=LeadLabel.objects.create(name="Hot", colour="danger"),
        nurture=LeadLabel.objects.create(name="Nurture", colour="secondary"),
        lead_a=make_lead(owner=cast.rep_a, source=referral, title="Rep A's lead"),
        lead_a2=make_lead(owner=cast.rep_a2, source=website, title="Rep A2's lead"),
        lead_b=make_lead(owner=cast.rep_b, source=website, title="Rep B's lead"),
    )

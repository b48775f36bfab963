"""Lead figures for the dashboard: one aggregate over the leads a report covers."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from leads.models import Lead, LeadStatus
from reporting.metrics import ratio
from reporting.queries.scope import ReportScope


@dataclass(frozen=True)
class LeadFigures:
    new: int
    open: int
    qualified: int
    disqualified: int

    @property
    def decided(self) -> int:
        return self.qualified + self.disqualified

    @property
    def conversion_rate(self) -> Decimal | None:
        """Qualified ÷ (qualified + disqualified), of the leads decided in the period."""
        return ratio(Decimal(self.qualified), Decimal(self.decided))


def report_leads(scope: ReportScope) -> QuerySet[Lead]:
    """The leads a report covers: visible to its viewer, narrowed as its deals are (team,
    territory with the territories inside it, rep). Leads belong to no pipeline."""
    return scope.narrowed(Lead.objects)


def lead_figures(scope: ReportScope) -> LeadFigures:
    """Leads created in the period, open now, and qualified or disqualified in the period."""
    period = scope.period
    created = Q(created_at__gte=period.start_at, created_at__lt=period.end_before)
    decided = Q(decided_at__gte=period.start_at, decided_at__lt=period.end_before)
    row = report_leads(scope).aggregate(
        new=Count("pk", filter=created),
        open=Count("pk", filter=Q(status=LeadStatus.OPEN)),
        qualified=Count("pk", filter=decided & Q(status=LeadStatus.QUALIFIED)),
        disqualified=Count("pk", filter=decided & Q(status=LeadStatus.DISQUALIFIED)),
    )
    return LeadFigures(**row)

"""Every read behind the sales dashboard, the CSV export and `manage.py report`.

Deal figures start from `ReportScope.deals()`, which starts from `Deal.objects.visible_to`.
The dashboard runs a fixed number of queries whatever the number of deals, each one
aggregating in SQL into a handful of rows:

1. open deals now, per (owner, team, territory), with the forecast months;
2. deals won or lost in the period and the one before, per (owner, team, territory), with
   the chart's months;
3. one pass over the stage history since the period began, per deal: the stage funnel and
   the pipeline as it stood when the period began;
4. done activities per assignee; then the quotas and the names.

`scope` says what a report covers, `deals` holds the SQL, `quotas` the quota rules,
`breakdowns` the table's rows and `dashboard` the page's blocks. Python only adds those
rows up (exactly: counts, Decimals, timedeltas) and derives the ratios in
`reporting.metrics`. Every breakdown (rep, team, territory with its nesting), the
totals and the quota bars are sums of the same cells, so they agree to the cent.
"""

from reporting.queries.breakdowns import (
    DEFAULT_SORT,
    Breakdown,
    BreakdownRow,
    Dimension,
    breakdown,
    valid_sort,
)
from reporting.queries.dashboard import Dashboard, sales_dashboard
from reporting.queries.scope import ReportScope, report_scope

__all__ = [
    "DEFAULT_SORT",
    "Breakdown",
    "BreakdownRow",
    "Dashboard",
    "Dimension",
    "ReportScope",
    "breakdown",
    "report_scope",
    "sales_dashboard",
    "valid_sort",
]

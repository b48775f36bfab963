from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from activities.models import ActivityType
from reporting.exports import write_breakdown_csv
from reporting.forms import ReportFilterForm, same_query
from reporting.metrics import DEFINITIONS
from reporting.queries import Breakdown, Dashboard, Dimension, breakdown, sales_dashboard
from reporting.queries.leads import lead_figures

BREAKDOWN_COLUMNS = [
    ("open_deals", "In pipeline"),
    ("open_value", "Pipeline value"),
    ("weighted_value", "Weighted"),
    ("won_count", "Won"),
    ("lost_count", "Lost"),
    ("won_value", "Won value"),
    ("avg_deal_size", "Avg deal"),
    ("win_rate", "Close ratio"),
    ("cycle_days", "Cycle"),
    ("velocity", "Velocity / day"),
    ("quota", "Quota"),
    ("attainment", "Attainment"),
    ("call", "Calls"),
    ("email", "E-mails"),
    ("meeting", "Meetings"),
    ("task", "Tasks"),
    ("deadline", "Deadlines"),
]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool
    # The sort a click on the header asks for: the other direction when sorted by it.
    next_sort: str
    aria_sort: str


def breakdown_columns(table: Breakdown) -> list[Column]:
    """The table's columns; activity counts appear once someone in scope has done one."""
    shown = [("name", table.by.capitalize()), *BREAKDOWN_COLUMNS]
    if not any(table.total.activities.values()):
        shown = [(key, label) for key, label in shown if key not in ActivityType.values]
    columns = []
    for key, label in shown:
        numeric = key != "name"
        aria_sort = ""
        next_sort = f"-{key}" if numeric else key
        if table.sort_key == key:
            aria_sort = "descending" if table.descending else "ascending"
            next_sort = key if table.descending else f"-{key}"
        columns.append(Column(key, label, numeric, next_sort, aria_sort))
    return columns


def chart_data(report: Dashboard) -> dict:
    """The charts' numbers, as exact decimal strings (the tables beside them show the same)."""
    return {
        "wonByMonth": {
            "labels": [m.period.short_label for m in report.won_by_month],
            "won": [str(m.won_value) for m in report.won_by_month],
            # A partial quota is no line to measure a month against: a gap in the line.
            "quota": [
                None if m.quota is None or m.quota_partial else str(m.quota)
                for m in report.won_by_month
            ],
        },
        "funnel": {
            "labels": [f.stage for f in report.funnel],
            "entered": [f.entered for f in report.funnel],
            "movedOn": [f.moved_on for f in report.funnel],
            "won": [f.won for f in report.funnel],
        },
        "winRate": {
            "labels": [r.name for r in report.win_rate_by_rep],
            "rates": [str(r.win_rate * 100) for r in report.win_rate_by_rep],
        },
        "lostReasons": {
            "labels": [f.reason for f in report.lost_reasons],
            "values": [str(f.value) for f in report.lost_reasons],
            "counts": [f.count for f in report.lost_reasons],
        },
    }


@require_GET
def dashboard(request):
    now = timezone.now()
    form = ReportFilterForm(request.GET, user=request.user, now=now)
    url = reverse("reporting:dashboard")
    if form.query:
        url += f"?{form.query.urlencode()}"
    if not request.htmx and not same_query(form.query, request.GET):
        # The plain form sends every field: the address bar gets the filters that count.
        return redirect(url)
    context = {"form": form, "report": None, "dimensions": Dimension.CHOICES}
    if form.is_valid():
        report = sales_dashboard(
            form.scope(), by=form.cleaned_data["by"], sort=form.cleaned_data["sort"], now=now
        )
        context |= {
            "report": report,
            "columns": breakdown_columns(report.breakdown),
            "charts": chart_data(report),
            "lead_figures": lead_figures(report.scope),
        }
    if request.htmx:
        return push_url(render(request, "reporting/dashboard.html#dashboard", context), url)
    return render(
        request, "reporting/dashboard.html", context | {"definitions": DEFINITIONS.values()}
    )


@require_GET
def breakdown_csv(request):
    form = ReportFilterForm(request.GET, user=request.user, now=timezone.now())
    if not form.is_valid():
        errors = "; ".join(e for errors in form.errors.values() for e in errors)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    data = form.cleaned_data
    table = breakdown(form.scope(), by=data["by"], sort=data["sort"])
    period = data["report_period"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="sales-{period.start}-{period.end}-by-{table.by}.csv"'
    )
    write_breakdown_csv(response, table)
    return response

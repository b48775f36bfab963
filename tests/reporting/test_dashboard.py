"""The dashboard page at /reports/: filters in the URL, htmx partials, sorting, empty states,
and a fixed number of queries whatever the number of deals."""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting.metrics import DEFINITIONS
from teams.models import Team
from tests.factories import make_deal
from tests.reporting.conftest import History, make_activity, make_quota

URL = reverse("reporting:dashboard")
Q1 = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def q1_deals(cast, stages):
    history = History(cast.admin)
    history.won(
        owner=cast.rep_a,
        stage=stages["Negotiation"],
        value="3000.00",
        created="2026-01-10",
        closed="2026-01-20",
    )
    history.won(
        owner=cast.rep_b,
        stage=stages["Negotiation"],
        value="999.99",
        created="2026-01-10",
        closed="2026-02-20",
    )
    history.lost(
        owner=cast.rep_a2,
        stage=stages["Lead"],
        value="800.00",
        created="2026-01-05",
        closed="2026-02-01",
    )
    make_quota(team=cast.team_a, amount="10000.00", start="2026-01-01")


def rows_of(html: str) -> list[str]:
    """The names in the breakdown's body, in order (not the total row)."""
    body = html.split('class="table table-sm table-hover', 1)[1].split("<tbody>", 1)[1]
    body = body.split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row"[^>]*><span[^>]*>([^<]+)</span>', body)


def test_the_page_shows_every_block_with_definitions(client, cast, q1_deals):
    client.force_login(cast.admin)
    response = client.get(URL, Q1)
    assert response.status_code == 200
    page = response.text
    assert '<h2 class="h5 mb-0">Q1 2026</h2>' in page
    for block in [
        "tile-won_value",
        "quota-progress",
        "forecast",
        "funnel",
        "breakdown",
        "definitions",
    ]:
        assert f'id="{block}"' in page
    for label, text in DEFINITIONS.values():
        assert label in page and text.replace("'", "&#x27;") in page
    assert "3,999.99" in page  # won value: 3,000.00 + 999.99
    assert "Behind pace" in page  # team A won 3,000 of 10,000 in a finished quarter
    assert 'id="chart-data"' in page


@time_machine.travel("2026-05-20 10:00:00+00:00", tick=False)
def test_without_filters_the_current_quarter_is_shown(client, cast):
    client.force_login(cast.manager_a)
    page = client.get(URL).text
    assert "Q2 2026" in page
    assert 'value="2026-04-01"' in page and 'value="2026-06-30"' in page
    assert '<option value="this-quarter" selected>' in page


def test_an_htmx_request_gets_only_the_dashboard_fragment(client, cast, q1_deals):
    client.force_login(cast.admin)
    response = client.get(URL, {**Q1, "by": "team"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="dashboard">')
    assert "<html" not in response.text
    assert "By team" in response.text


def test_the_plain_form_submits_the_same_filters_without_javascript(client, cast, q1_deals):
    client.force_login(cast.admin)
    page = client.get(URL, Q1).text
    assert 'method="get" action="/reports/"' in page
    assert '<button class="btn btn-primary" type="submit">Apply</button>' in page
    assert 'hx-get="/reports/"' in page and 'hx-push-url="true"' in page


def test_breakdown_switch_and_sort_links_keep_the_filters(client, cast, q1_deals):
    client.force_login(cast.admin)
    page = client.get(URL, {**Q1, "sort": "name"}).text
    assert rows_of(page) == [str(cast.rep_a), str(cast.rep_a2), str(cast.rep_b)]
    assert (
        'href="?period=custom&amp;start=2026-01-01&amp;end=2026-03-31&amp;sort=name&amp;by=territory"'
        in page
    )
    # Sorted by name ascending, its header offers descending next.
    assert '<th scope="col" class="text-nowrap sticky-name" aria-sort="ascending">' in page
    assert "sort=-name" in page
    page = client.get(URL, {**Q1, "sort": "-won_value"}).text
    assert rows_of(page) == [str(cast.rep_a), str(cast.rep_b), str(cast.rep_a2)]
    # Empty figures sort last either way.
    page = client.get(URL, {**Q1, "sort": "avg_deal_size"}).text
    assert rows_of(page) == [str(cast.rep_b), str(cast.rep_a), str(cast.rep_a2)]
    # An unknown sort falls back to won value, highest first.
    page = client.get(URL, {**Q1, "sort": "password"}).text
    assert rows_of(page) == [str(cast.rep_a), str(cast.rep_b), str(cast.rep_a2)]


def test_activity_columns_appear_once_activities_are_done(client, cast, q1_deals):
    client.force_login(cast.admin)
    assert ">Calls</a>" not in client.get(URL, Q1).text
    make_activity(deal=cast.deal_a, assignee=cast.rep_a, done_at="2026-02-02")
    assert ">Calls</a>" in client.get(URL, Q1).text


def test_an_empty_scope_says_so(client, cast):
    cast.deal_a.delete()  # the rep's only deal, open now
    client.force_login(cast.rep_a)
    page = client.get(URL, {"period": "custom", "start": "2020-01-01", "end": "2020-03-31"}).text
    assert 'id="report-empty"' in page
    assert "No figures for these filters." in page
    assert "No deal was won or lost in Q1 2020." in page
    assert "No quota falls inside Q1 2020." in page


def test_custom_dates_are_checked(client, cast):
    client.force_login(cast.admin)
    for params, message in [
        ({"period": "custom", "start": "2026-03-01"}, "Give both a start and an end date."),
        (
            {"period": "custom", "start": "2026-03-01", "end": "2026-02-01"},
            "The end date is before",
        ),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-01-01"}, "at most three years"),
        ({"start": "2026-13-01", "end": "2026-12-01"}, "Enter a valid date."),
    ]:
        page = client.get(URL, params, follow=True).text
        assert message in page, params
        assert 'id="tile-won_value"' not in page


def test_dates_without_a_period_mean_custom_dates(client, cast, q1_deals):
    client.force_login(cast.admin)
    response = client.get(URL, {"start": "2026-02-01", "end": "2026-02-28"})
    assert response.url == "/reports/?period=custom&start=2026-02-01&end=2026-02-28"
    page = client.get(response.url).text
    assert "February 2026" in page
    assert '<option value="custom" selected>' in page


def test_only_get_is_allowed(client, cast):
    client.force_login(cast.admin)
    assert client.post(URL).status_code == 405
    assert client.post(reverse("reporting:breakdown-csv")).status_code == 405


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_text_is_escaped(client, cast, q1_deals):
    Team.objects.filter(pk=cast.team_a.pk).update(name="<script>alert(1)</script>")
    client.force_login(cast.admin)
    page = client.get(URL, {**Q1, "by": "team"}).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {**Q1, "by": "territory"})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["admin", "manager_a", "rep_a"])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, cast, stages, q1_deals, django_assert_max_num_queries, viewer
):
    client.force_login(cast.user(viewer))
    small = count_queries(client)
    for index in range(30):
        owner = cast.rep_a if index % 2 else cast.rep_a2
        make_deal(owner=owner, stage=stages["Proposal"], value="10.00")
        make_deal(owner=cast.rep_b, stage=stages["Lead"], value="20.00", status="won")
        make_activity(deal=cast.deal_a, assignee=cast.rep_a, done_at="2026-02-02")
        make_quota(team=cast.team_b, rep=cast.rep_b, amount="5.00", start=f"{2000 + index}-01-01")
    with django_assert_max_num_queries(small):
        count_queries(client)
    # Session, user and the page header's own (about 4), the filter choices (4), one query
    # per block of the page (about 10), and PostgreSQL's transaction settings (about 4).
    with django_assert_max_num_queries(25):
        response = client.get(URL, Q1)
    assert Decimal("0") < Decimal(response.context["report"].breakdown.total.metrics.won_value)


FAR_DATES = [
    ("9999-12-31", "9999-12-31"),
    ("9999-01-01", "9999-12-31"),
    ("0001-01-01", "0001-01-01"),
    ("0001-01-01", "0001-12-31"),  # its previous year would start before year 1
    ("1899-12-31", "1900-01-31"),
    ("2200-12-01", "2201-01-01"),
]
FAR_ZONES = ["UTC", "Pacific/Kiritimati", "Etc/GMT+12"]


@pytest.mark.parametrize("tz", FAR_ZONES)
@pytest.mark.parametrize(("start", "end"), FAR_DATES)
def test_dates_outside_the_supported_range_are_a_form_error(client, cast, tz, start, end):
    cast.manager_a.time_zone = tz
    cast.manager_a.save()
    client.force_login(cast.manager_a)
    params = {"period": "custom", "start": start, "end": end}
    response = client.get(URL, params)
    assert response.status_code == 200
    assert "Choose dates from 1 January 1900 to 31 December 2200." in response.text
    assert 'id="tile-won_value"' not in response.text
    export = client.get(reverse("reporting:breakdown-csv"), params)
    assert export.status_code == 400
    assert "Choose dates from 1 January 1900 to 31 December 2200." in export.text


@pytest.mark.parametrize("tz", FAR_ZONES)
@pytest.mark.parametrize(
    ("start", "end"), [("1900-01-01", "1900-03-31"), ("2200-10-01", "2200-12-31")]
)
def test_the_first_and_last_supported_quarters_are_reported(client, cast, tz, start, end):
    cast.manager_a.time_zone = tz
    cast.manager_a.save()
    client.force_login(cast.manager_a)
    params = {"period": "custom", "start": start, "end": end, "by": "territory"}
    response = client.get(URL, params)
    assert response.status_code == 200
    assert 'id="tile-won_value"' in response.text
    assert client.get(reverse("reporting:breakdown-csv"), params).status_code == 200


# What the filter form sends: every field, and the dates it showed (here the first quarter's).
FORM = {
    "shown_start": "2026-01-01",
    "shown_end": "2026-03-31",
    "period": "custom",
    "start": "2026-01-01",
    "end": "2026-03-31",
    "pipeline": "",
    "team": "",
    "territory": "",
    "rep": "",
}
HTMX = {"HX-Request": "true"}


@time_machine.travel("2026-05-20 10:00:00+00:00", tick=False)
def test_choosing_a_preset_drops_the_dates_from_the_pushed_url(client, cast, q1_deals):
    client.force_login(cast.admin)
    response = client.get(URL, {**FORM, "period": "last-quarter"}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == "/reports/?period=last-quarter"
    assert '<h2 class="h5 mb-0">Q1 2026</h2>' in response.text
    # The links of the fragment carry the same clean filters.
    assert 'href="?period=last-quarter&amp;by=team"' in response.text
    assert 'href="/reports/breakdown.csv?period=last-quarter"' in response.text
    assert "start=" not in response.text.split('id="breakdown"', 1)[1]


@time_machine.travel("2026-05-20 10:00:00+00:00", tick=False)
def test_entering_dates_drops_the_preset_from_the_pushed_url(client, cast, q1_deals):
    client.force_login(cast.admin)
    shown = {
        **FORM,
        "period": "this-quarter",
        "shown_start": "2026-04-01",
        "shown_end": "2026-06-30",
    }
    # With JavaScript the period switches to custom dates as soon as a date is typed.
    typed = {**shown, "period": "custom", "start": "2026-02-01", "end": "2026-02-28"}
    response = client.get(URL, typed, headers=HTMX)
    assert response["HX-Push-Url"] == "/reports/?period=custom&start=2026-02-01&end=2026-02-28"
    assert "February 2026" in response.text
    # Without it the select still says this quarter, but the dates differ from those shown.
    response = client.get(URL, {**typed, "period": "this-quarter"})
    assert response.status_code == 302
    assert response.url == "/reports/?period=custom&start=2026-02-01&end=2026-02-28"


@time_machine.travel("2026-05-20 10:00:00+00:00", tick=False)
def test_the_plain_form_is_redirected_to_a_clean_url(client, cast, q1_deals):
    client.force_login(cast.manager_a)
    # The select changed, the dates are those shown: the preset wins.
    response = client.get(URL, {**FORM, "period": "last-month", "team": cast.team_a.pk})
    assert response.status_code == 302
    assert response.url == f"/reports/?period=last-month&team={cast.team_a.pk}"
    page = client.get(response.url)
    assert page.status_code == 200
    assert "April 2026" in page.text
    # Dates left empty after a preset was chosen mean the preset too.
    response = client.get(URL, {**FORM, "period": "last-month", "start": "", "end": ""})
    assert response.url == "/reports/?period=last-month"
    # Custom dates keep their dates; the breakdown's own fields come last.
    response = client.get(URL, {"by": "team", "sort": "name", **FORM})
    assert (
        response.url == "/reports/?period=custom&start=2026-01-01&end=2026-03-31&by=team&sort=name"
    )


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"period": "last-quarter"},
        {"period": "custom", "start": "2026-01-01", "end": "2026-03-31", "by": "team"},
        {"by": "territory", "period": "this-month"},  # any order
        {"period": "custom", "start": "2026-03-01"},  # invalid: shown with its error
    ],
)
def test_a_clean_url_is_not_redirected(client, cast, query):
    client.force_login(cast.admin)
    assert client.get(URL, query).status_code == 200


def test_a_hand_written_url_with_a_preset_and_dates_means_the_preset(client, cast, q1_deals):
    client.force_login(cast.admin)
    query = {"period": "this-year", "start": "2026-01-01", "end": "2026-01-31"}
    response = client.get(URL, query)
    assert response.url == "/reports/?period=this-year"
    assert client.get(URL, query, headers=HTMX)["HX-Push-Url"] == "/reports/?period=this-year"
    # The export reads the same filters the same way.
    export = client.get(reverse("reporting:breakdown-csv"), query)
    assert "by-rep.csv" in export["Content-Disposition"]
    assert "-01-31-" not in export["Content-Disposition"]


def test_the_form_remembers_the_dates_it_showed(client, cast, q1_deals):
    client.force_login(cast.admin)
    page = client.get(URL, {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}).text
    assert '<input type="hidden" name="shown_start" value="2026-01-01">' in page
    assert '<input type="hidden" name="shown_end" value="2026-03-31">' in page


def breakdown_cells(html: str) -> dict[str, list[str]]:
    """The breakdown's rows (body and total) as text cells, keyed by the row's name."""
    table = html.split('class="table table-sm table-hover', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


@time_machine.travel("2026-05-20 10:00:00+00:00", tick=False)
def test_the_page_says_no_quota_or_partial_and_gives_no_attainment_against_them(
    client, cast, q1_deals
):
    client.force_login(cast.admin)
    page = client.get(URL, {**Q1, "by": "team", "sort": "name"}).text
    quota, attainment = 10, 11  # the columns after the name
    rows = breakdown_cells(page)
    assert rows["Team A"][quota] == "10,000.00" and rows["Team A"][attainment] == "30.0 %"
    # Team B won 999.99 with no quota; the total's quota is team A's alone.
    assert rows["Team B"][quota] == "no quota" and rows["Team B"][attainment] == "—"
    assert rows["Total"][quota] == "10,000.00 partial" and rows["Total"][attainment] == "—"
    assert "No quota for Team B in Q1 2026." in page
    # The forecast's months (May to July 2026) have no quota.
    forecast = page.split('id="forecast"', 1)[1].split("</section>", 1)[0]
    assert forecast.count("no quota") == 3
    assert "%" not in forecast

    # A rep with a quota for February alone: a partial bar, without attainment or pace.
    make_quota(team=cast.team_b, rep=cast.rep_b, amount="500.00", start="2026-02-01", kind="month")
    page = client.get(URL, {**Q1, "by": "rep"}).text
    bars = page.split('id="quota-progress"', 1)[1].split("</section>", 1)[0]
    bar = bars.split(str(cast.rep_b), 1)[1].split("</li>", 1)[0]
    assert " ".join(re.sub(r"<[^>]+>", " ", bar).split()) == "999.99 of 500.00 partial"
    assert breakdown_cells(page)[str(cast.rep_b)][10:12] == ["500.00 partial", "—"]


def test_the_csv_and_json_give_the_quotas_coverage_and_no_attainment_unless_whole(
    client, cast, q1_deals
):
    client.force_login(cast.admin)
    response = client.get(reverse("reporting:breakdown-csv"), {**Q1, "by": "team"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["team"], r["quota"], r["quota_coverage"], r["attainment"]) for r in rows] == [
        ("Team A", "10000.00", "whole", "0.3"),
        ("Team B", "", "", ""),
        ("total", "10000.00", "partial", ""),
    ]
    out = io.StringIO()
    call_command(
        "report", "--start", "2026-01-01", "--end", "2026-03-31", "--by", "team", stdout=out
    )
    records = json.loads(out.getvalue())
    assert [(r["group"], r["quota"], r["quota_coverage"], r["attainment"]) for r in records] == [
        ("Team A", "10000.00", "whole", 0.3),
        ("Team B", None, None, None),
        ("total", "10000.00", "partial", None),
    ]

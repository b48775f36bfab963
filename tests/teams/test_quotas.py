from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse

from teams.models import PeriodKind, Quota, month_bounds, quarter_bounds


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), (date(2026, 1, 1), date(2026, 3, 31))),
        (date(2026, 5, 17), (date(2026, 4, 1), date(2026, 6, 30))),
        (date(2026, 12, 31), (date(2026, 10, 1), date(2026, 12, 31))),
    ],
)
def test_quarter_bounds(day, expected):
    assert quarter_bounds(day) == expected


def test_month_bounds_handle_february_and_december():
    assert month_bounds(date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert month_bounds(date(2026, 12, 5)) == (date(2026, 12, 1), date(2026, 12, 31))


def test_quota_snaps_to_its_period(cast):
    quota = Quota.objects.create(
        team=cast.team_a,
        rep=cast.rep_a,
        period=PeriodKind.QUARTER,
        period_start=date(2026, 8, 15),
        amount=Decimal("50000"),
    )
    assert (quota.period_start, quota.period_end) == (date(2026, 7, 1), date(2026, 9, 30))


def test_database_refuses_two_quotas_for_one_rep_and_period(cast):
    Quota.objects.create(
        team=cast.team_a,
        rep=cast.rep_a,
        period=PeriodKind.MONTH,
        period_start=date(2026, 8, 1),
        amount=Decimal("1"),
    )
    with pytest.raises(IntegrityError):
        Quota.objects.create(
            team=cast.team_a,
            rep=cast.rep_a,
            period=PeriodKind.MONTH,
            period_start=date(2026, 8, 20),
            amount=Decimal("2"),
        )


def test_database_refuses_two_team_quotas_for_one_period(cast):
    Quota.objects.create(
        team=cast.team_a,
        period=PeriodKind.QUARTER,
        period_start=date(2026, 7, 1),
        amount=Decimal("1"),
    )
    with pytest.raises(IntegrityError):
        Quota.objects.create(
            team=cast.team_a,
            period=PeriodKind.QUARTER,
            period_start=date(2026, 9, 1),
            amount=Decimal("2"),
        )


def inline_post(team, rows, existing=()):
    """The POST of the team's admin page with its quota inline rows."""
    data = {
        "name": team.name,
        "territory": team.territory_id,
        "manager": team.manager_id or "",
        "quotas-TOTAL_FORMS": str(len(existing) + len(rows)),
        "quotas-INITIAL_FORMS": str(len(existing)),
        "quotas-MIN_NUM_FORMS": "0",
        "quotas-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate([*existing, *rows]):
        for key, value in row.items():
            data[f"quotas-{index}-{key}"] = value
        data[f"quotas-{index}-team"] = team.pk
    return data


def test_admin_sets_a_whole_teams_quarter_on_one_screen(client, cast):
    client.force_login(cast.admin)
    url = reverse("admin:teams_team_change", args=[cast.team_a.pk])
    rows = [
        {"rep": "", "period": "quarter", "period_start": "2026-10-01", "amount": "150000"},
        {
            "rep": cast.rep_a.pk,
            "period": "quarter",
            "period_start": "2026-10-01",
            "amount": "80000",
        },
        {
            "rep": cast.rep_a2.pk,
            "period": "quarter",
            "period_start": "2026-10-01",
            "amount": "70000",
        },
    ]
    response = client.post(url, inline_post(cast.team_a, rows))
    assert response.status_code == 302, response.text
    assert Quota.objects.filter(team=cast.team_a, period_start=date(2026, 10, 1)).count() == 3

    # The quota list, filtered to the team and quarter, edits every amount at once.
    changelist = reverse("admin:teams_quota_changelist")
    query = {"team__id__exact": cast.team_a.pk, "period": "quarter:2026-10-01"}
    page = client.get(changelist, query)
    assert page.status_code == 200
    quotas = list(Quota.objects.filter(team=cast.team_a).order_by("pk"))
    data = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "3",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, quota in enumerate(page.context["cl"].result_list):
        data[f"form-{index}-id"] = quota.pk
        data[f"form-{index}-amount"] = str(quota.amount + 1000)
    response = client.post(
        f"{changelist}?team__id__exact={cast.team_a.pk}&period=quarter:2026-10-01", data
    )
    assert response.status_code == 302
    assert [
        q.amount for q in Quota.objects.filter(pk__in=[q.pk for q in quotas]).order_by("pk")
    ] == [Decimal("151000.00"), Decimal("81000.00"), Decimal("71000.00")]


def test_admin_is_refused_a_duplicate_quota_with_a_clear_message(client, cast):
    Quota.objects.create(
        team=cast.team_a,
        rep=cast.rep_a,
        period=PeriodKind.QUARTER,
        period_start=date(2026, 10, 1),
        amount=Decimal("80000"),
    )
    client.force_login(cast.admin)
    response = client.post(
        reverse("admin:teams_quota_add"),
        {
            "team": cast.team_a.pk,
            "rep": cast.rep_a.pk,
            "period": "quarter",
            "period_start": "2026-11-15",
            "amount": "1000",
        },
    )
    assert response.status_code == 200
    assert "This rep already has a quota for this period." in response.text
    assert Quota.objects.count() == 1


def test_admin_inline_refuses_two_rows_for_the_same_rep_and_quarter(client, cast):
    client.force_login(cast.admin)
    rows = [
        {"rep": cast.rep_a.pk, "period": "quarter", "period_start": "2026-10-01", "amount": "1"},
        {"rep": cast.rep_a.pk, "period": "quarter", "period_start": "2026-11-01", "amount": "2"},
    ]
    response = client.post(
        reverse("admin:teams_team_change", args=[cast.team_a.pk]), inline_post(cast.team_a, rows)
    )
    assert response.status_code == 200
    assert "Two quotas for Rep_A in 2026 Q4" in response.text
    assert not Quota.objects.exists()


def test_admin_refuses_a_rep_quota_for_someone_outside_the_team(client, cast):
    client.force_login(cast.admin)
    response = client.post(
        reverse("admin:teams_quota_add"),
        {
            "team": cast.team_a.pk,
            "rep": cast.rep_b.pk,
            "period": "month",
            "period_start": "2026-11-01",
            "amount": "1000",
        },
    )
    assert response.status_code == 200
    assert "is not a member of Team A" in response.text


def test_non_admins_cannot_reach_the_admin(client, cast):
    client.force_login(cast.manager_a)
    response = client.get(reverse("admin:teams_quota_changelist"))
    assert response.status_code == 302


def test_admin_period_filter_lists_each_period_once_newest_first(client, cast):
    for rep in (None, cast.rep_a, cast.rep_a2):
        for kind, start in [
            (PeriodKind.QUARTER, date(2026, 7, 1)),
            (PeriodKind.QUARTER, date(2026, 10, 1)),
            (PeriodKind.MONTH, date(2026, 10, 1)),
            (PeriodKind.MONTH, date(2026, 11, 1)),
        ]:
            Quota.objects.create(
                team=cast.team_a, rep=rep, period=kind, period_start=start, amount=Decimal("1")
            )
    client.force_login(cast.admin)
    page = client.get(reverse("admin:teams_quota_changelist"))
    assert page.status_code == 200
    by_period = page.context["cl"].filter_specs[0]
    assert [label for _, label in by_period.lookup_choices] == [
        "2026-11",
        "2026 Q4",
        "2026-10",
        "2026 Q3",
    ]
    # The filter on the kind of period has a title of its own.
    assert [spec.title for spec in page.context["cl"].filter_specs] == [
        "period",
        "month or quarter",
        "team",
        "territory",
    ]
    assert page.text.count("By period") == 1
    filtered = client.get(reverse("admin:teams_quota_changelist"), {"period": "month:2026-10-01"})
    assert filtered.context["cl"].result_count == 3

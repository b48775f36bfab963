"""The scoring rules, each with worked examples, and how stored scores follow their inputs."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from activities.services import activity_complete, activity_delete
from contacts.models import Contact, Organization
from leads.models import Lead
from leads.scoring import ScoreInputs, score_lead
from leads.services import lead_update, leads_rescore
from tests.activities.factories import make_activity
from tests.leads.factories import make_lead, make_source

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
D = Decimal


def points(rule: str, **inputs) -> int:
    """The points of one rule for these inputs (the others left at their defaults)."""
    score = score_lead(ScoreInputs(source_name="Web", source_weight=0, **inputs), now=NOW)
    return sum(line.points for line in score.lines if line.rule == rule)


def test_source_scores_its_weight():
    score = score_lead(ScoreInputs(source_name="Referral", source_weight=25), now=NOW)
    assert score.lines[0].label == "Source: Referral" and score.lines[0].points == 25
    assert score.total == 25


def test_a_negative_source_weight_lowers_the_score_but_never_below_zero():
    assert score_lead(ScoreInputs("List", -10, value=D("6000")), now=NOW).total == 0  # -10 + 10
    nothing = score_lead(ScoreInputs("List", -10), now=NOW)
    assert nothing.total == 0 and nothing.capped  # -10, shown as 0
    assert score_lead(ScoreInputs("List", -10, value=D("30000")), now=NOW).total == 5  # -10 + 15


@pytest.mark.parametrize(
    ("employees", "expected"),
    [(None, 0), (0, 0), (1, 5), (49, 5), (50, 10), (249, 10), (250, 15), (999, 15), (1000, 20)],
)
def test_company_size_bands(employees, expected):
    assert points("company_size", employees=employees) == expected


@pytest.mark.parametrize(
    ("email", "phone", "expected"),
    [(False, False, 0), (True, False, 10), (False, True, 5), (True, True, 15)],
)
def test_contact_e_mail_and_phone(email, phone, expected):
    total = points("contact_email", contact_email=email, contact_phone=phone) + points(
        "contact_phone", contact_email=email, contact_phone=phone
    )
    assert total == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 0),
        ("0.00", 0),
        ("0.01", 5),
        ("4999.99", 5),
        ("5000.00", 10),
        ("24999.99", 10),
        ("25000.00", 15),
        ("99999.99", 15),
        ("100000.00", 20),
    ],
)
def test_value_estimate_bands(value, expected):
    assert points("value", value=D(value) if value else None, currency="USD") == expected


@pytest.mark.parametrize(
    ("done_ago", "expected"),
    [(None, 0), (timedelta(0), 10), (timedelta(days=14), 10), (timedelta(days=14, seconds=1), 0)],
)
def test_an_activity_done_in_the_last_14_days(done_ago, expected):
    last = None if done_ago is None else NOW - done_ago
    assert points("recent_activity", last_done_at=last) == expected


def test_a_planned_next_step():
    assert points("next_step", has_open_activity=True) == 5
    assert points("next_step", has_open_activity=False) == 0


def test_worked_example_adds_every_rule_and_explains_each():
    inputs = ScoreInputs(
        source_name="Referral",
        source_weight=25,
        employees=300,
        contact_email=True,
        contact_phone=False,
        value=D("30000.00"),
        currency="EUR",
        last_done_at=NOW - timedelta(days=3),
        has_open_activity=True,
    )
    score = score_lead(inputs, now=NOW)
    assert [(line.label, line.points) for line in score.lines] == [
        ("Source: Referral", 25),
        ("Company size: 300 employees", 15),
        ("Contact has an e-mail", 10),
        ("Value estimate: 30,000.00 EUR", 15),
        ("Activity done in the last 14 days", 10),
        ("Next step planned", 5),
    ]
    assert score.total == 80 and not score.capped


def test_every_rule_at_its_best_makes_exactly_100():
    inputs = ScoreInputs(
        source_name="Best",
        source_weight=30,
        employees=5000,
        contact_email=True,
        contact_phone=True,
        value=D("500000"),
        last_done_at=NOW,
        has_open_activity=True,
    )
    score = score_lead(inputs, now=NOW)
    assert score.total == 100 and not score.capped


# Stored scores ---------------------------------------------------------------------------


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_a_new_lead_is_scored_with_its_breakdown(cast, frozen):
    acme = Organization.objects.create(name="Acme", employees=60)
    ada = Contact.objects.create(organization=acme, first_name="Ada", last_name="L", phone="+1 5")
    lead = make_lead(
        owner=cast.rep_a,
        source=make_source("Event", weight=15),
        organization=acme,
        contact=ada,
        value="5000",
    )
    lead.refresh_from_db()
    # 15 (source) + 10 (60 employees) + 5 (phone) + 10 (5,000) = 40
    assert lead.score == 40
    assert [d["points"] for d in lead.score_details] == [15, 10, 5, 10, 0, 0]
    assert lead.scored_at == NOW


def test_changing_an_input_rescores_the_lead(cast, frozen):
    lead = make_lead(owner=cast.rep_a, source=make_source(weight=10))
    assert Lead.objects.get(pk=lead.pk).score == 10
    lead_update(lead=lead, version=lead.version, actor=cast.rep_a, value=D("100000"))
    assert Lead.objects.get(pk=lead.pk).score == 30


def test_activities_rescore_their_lead(cast, frozen):
    lead = make_lead(owner=cast.rep_a, source=make_source(weight=10))
    activity = make_activity(lead=lead, due_at=NOW + timedelta(days=1))
    assert Lead.objects.get(pk=lead.pk).score == 15  # next step planned
    activity_complete(activity=activity, actor=cast.rep_a)
    assert Lead.objects.get(pk=lead.pk).score == 20  # done just now, nothing planned
    activity_delete(activity=activity, actor=cast.rep_a)
    assert Lead.objects.get(pk=lead.pk).score == 10


def test_time_passing_is_caught_by_the_periodic_rescore(cast, time_machine):
    time_machine.move_to(NOW, tick=False)
    lead = make_lead(owner=cast.rep_a, source=make_source(weight=10))
    activity = make_activity(lead=lead, due_at=NOW - timedelta(hours=1))
    activity_complete(activity=activity, actor=cast.rep_a)
    assert Lead.objects.get(pk=lead.pk).score == 20
    time_machine.move_to(NOW + timedelta(days=15), tick=False)
    assert leads_rescore() == 1
    assert Lead.objects.get(pk=lead.pk).score == 10
    assert leads_rescore() == 0  # nothing left to change


def test_a_source_weight_change_in_admin_rescores_its_open_leads(client, cast, frozen):
    client.force_login(cast.admin)
    source = make_source("Fair", weight=5)
    open_lead = make_lead(owner=cast.rep_a, source=source)
    other = make_lead(owner=cast.rep_a, source=make_source(weight=1))
    response = client.post(
        f"/admin/leads/leadsource/{source.pk}/change/",
        {"name": "Trade fair", "weight": "20", "is_active": "on"},
    )
    assert response.status_code == 302
    open_lead.refresh_from_db()
    assert open_lead.score == 20
    assert open_lead.score_details[0]["label"] == "Source: Trade fair"
    assert Lead.objects.get(pk=other.pk).score == 1


def test_a_weight_outside_the_range_is_refused_in_admin(client, cast):
    client.force_login(cast.admin)
    source = make_source("Fair", weight=5)
    response = client.post(
        f"/admin/leads/leadsource/{source.pk}/change/", {"name": "Fair", "weight": "31"}
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 30." in response.text
    source.refresh_from_db()
    assert source.weight == 5

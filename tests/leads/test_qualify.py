"""Qualifying a lead makes it a deal; disqualifying closes it with a reason. Both happen once."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from activities.models import Activity, Notification, Reminder, ReminderState
from contacts.models import Contact, Organization
from leads.models import Lead, LeadStatus
from leads.services import LeadChangeRefused, lead_disqualify, lead_qualify, lead_update
from pipeline.models import Deal, DealStageChange, DealStatus
from tests.activities.factories import make_activity
from tests.factories import make_pipeline
from tests.leads.factories import make_lead

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def qualify_url(lead):
    return reverse("leads:lead-qualify", args=[lead.pk])


def disqualify_url(lead):
    return reverse("leads:lead-disqualify", args=[lead.pk])


@pytest.fixture
def rich_lead(cast, leads, time_machine):
    """rep_a's lead with an organization, a contact, a value, a done and an open activity."""
    time_machine.move_to(T0, tick=False)
    acme = Organization.objects.create(name="Acme", employees=300)
    ada = Contact.objects.create(organization=acme, first_name="Ada", last_name="Byron")
    lead = make_lead(
        owner=cast.rep_a,
        source=leads.referral,
        title="Acme: 40 seats",
        organization=acme,
        contact=ada,
        value="12500.50",
        currency="EUR",
    )
    done = make_activity(lead=lead, due_at=T0 - timedelta(days=1), subject="Intro call")
    done.done, done.done_at = True, T0 - timedelta(days=1)
    done.save()
    make_activity(lead=lead, due_at=T0 + timedelta(days=2), subject="Demo", reminder_offset=60)
    lead.refresh_from_db()
    return lead


def test_qualify_makes_a_deal_at_the_first_stage_and_lands_on_it(client, cast, rich_lead):
    first = cast.pipeline.stages.order_by("order").first()
    client.force_login(cast.rep_a)
    response = client.post(qualify_url(rich_lead), {"version": rich_lead.version})
    deal = Deal.objects.get(title="Acme: 40 seats")
    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline:deal-detail", args=[deal.pk])
    assert (deal.stage, deal.status, deal.pipeline) == (first, DealStatus.OPEN, cast.pipeline)
    assert (deal.value, deal.currency) == (Decimal("12500.50"), "EUR")
    assert (deal.organization, deal.contact) == (rich_lead.organization, rich_lead.contact)
    assert (deal.owner, deal.team, deal.territory) == (
        cast.rep_a,
        cast.team_a,
        cast.team_a.territory,
    )
    entry = DealStageChange.objects.get(deal=deal)
    assert (entry.from_stage, entry.to_stage, entry.to_status, entry.changed_by) == (
        None,
        first,
        DealStatus.OPEN,
        cast.rep_a,
    )
    lead = Lead.objects.get(pk=rich_lead.pk)
    assert (lead.status, lead.deal, lead.decided_by, lead.decided_at) == (
        LeadStatus.QUALIFIED,
        deal,
        cast.rep_a,
        T0,
    )
    assert lead.score == rich_lead.score  # kept as it was when decided
    page = client.get(response["Location"])
    assert "is qualified: it is now a deal in Lead" in page.text


def test_qualify_moves_the_leads_activities_and_their_reminders_to_the_deal(
    client, cast, rich_lead
):
    reminder = Reminder.objects.get(activity__subject="Demo")
    Notification.objects.create(recipient=cast.rep_a, lead=rich_lead, text="Earlier reminder")
    client.force_login(cast.rep_a)
    client.post(qualify_url(rich_lead), {"version": rich_lead.version})
    deal = Deal.objects.get(title="Acme: 40 seats")
    moved = Activity.objects.filter(deal=deal)
    assert sorted(moved.values_list("subject", flat=True)) == ["Demo", "Intro call"]
    assert not Activity.objects.filter(lead=rich_lead).exists()
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.PENDING and reminder.activity.deal == deal
    assert Notification.objects.get(text="Earlier reminder").deal == deal
    page = client.get(reverse("pipeline:deal-detail", args=[deal.pk]))
    assert "Demo" in page.text and "Intro call" in page.text


def test_qualify_twice_is_refused_and_makes_one_deal(client, cast, rich_lead):
    client.force_login(cast.rep_a)
    client.post(qualify_url(rich_lead), {"version": rich_lead.version})
    response = client.post(qualify_url(rich_lead), {"version": rich_lead.version + 1}, follow=True)
    assert "is already qualified" in response.text
    assert Deal.objects.filter(title="Acme: 40 seats").count() == 1


def test_qualify_from_a_stale_version_is_refused(client, cast, rich_lead):
    seen = rich_lead.version
    lead_update(lead=rich_lead, version=seen, actor=cast.manager_a, value=Decimal("1"))
    client.force_login(cast.rep_a)
    response = client.post(qualify_url(rich_lead), {"version": seen}, follow=True)
    assert "Someone else changed this lead" in response.text
    assert Lead.objects.get(pk=rich_lead.pk).status == LeadStatus.OPEN
    assert not Deal.objects.filter(title="Acme: 40 seats").exists()


def test_qualify_into_another_pipeline_starts_at_its_first_stage(client, cast, leads):
    other = make_pipeline("Partners", stages=(("Intro", 5), ("Contract", 60)))
    client.force_login(cast.rep_a)
    page = client.get(reverse("leads:lead-detail", args=[leads.lead_a.pk]))
    assert f'<option value="{other.pk}">Partners</option>' in page.text
    client.post(qualify_url(leads.lead_a), {"version": 1, "pipeline": other.pk})
    deal = Deal.objects.get(title="Rep A's lead")
    assert (deal.pipeline, deal.stage.name, deal.value) == (other, "Intro", Decimal("0"))


def test_qualify_with_bad_input_changes_nothing(client, cast, leads):
    client.force_login(cast.rep_a)
    for data in ({}, {"version": "x"}, {"version": 1, "pipeline": "999999"}):
        response = client.post(qualify_url(leads.lead_a), data, follow=True)
        assert "The lead was not qualified" in response.text
    assert Lead.objects.get(pk=leads.lead_a.pk).status == LeadStatus.OPEN
    assert not Deal.objects.filter(title="Rep A's lead").exists()


def test_disqualify_asks_for_a_reason(client, cast, leads):
    client.force_login(cast.rep_a)
    for reason in ("", "   "):
        response = client.post(disqualify_url(leads.lead_a), {"version": 1, "reason": reason})
        assert response.status_code == 400
        assert "This field is required." in response.text
        assert 'class="collapse show mb-3" id="disqualify-form"' in response.text
    assert Lead.objects.get(pk=leads.lead_a.pk).status == LeadStatus.OPEN


def test_disqualify_closes_the_lead_with_its_reason(client, cast, leads):
    client.force_login(cast.rep_a)
    response = client.post(
        disqualify_url(leads.lead_a), {"version": 1, "reason": "  No budget this year "}
    )
    assert response.status_code == 302
    lead = Lead.objects.get(pk=leads.lead_a.pk)
    assert (lead.status, lead.disqualify_reason, lead.decided_by) == (
        LeadStatus.DISQUALIFIED,
        "No budget this year",
        cast.rep_a,
    )
    assert lead.decided_at is not None and lead.deal is None
    page = client.get(response["Location"])
    assert "is disqualified" in page.text and "No budget this year" in page.text
    assert qualify_url(lead) not in page.text  # decided: no more buttons


def test_a_decided_lead_cannot_be_decided_again(cast, leads):
    lead_disqualify(lead=leads.lead_a, version=1, reason="Duplicate", actor=cast.rep_a)
    with pytest.raises(LeadChangeRefused, match="already disqualified"):
        lead_qualify(lead=leads.lead_a, version=2, pipeline=cast.pipeline, actor=cast.rep_a)
    fresh = Lead.objects.get(pk=leads.lead_a.pk)
    with pytest.raises(LeadChangeRefused, match="already disqualified"):
        lead_disqualify(lead=fresh, version=2, reason="Again", actor=cast.rep_a)


def test_a_pipeline_without_stages_is_refused(cast, leads):
    from pipeline.models import Pipeline

    empty = Pipeline.objects.create(name="Empty")
    with pytest.raises(LeadChangeRefused, match="has no stage"):
        lead_qualify(lead=leads.lead_a, version=1, pipeline=empty, actor=cast.rep_a)
    assert Lead.objects.get(pk=leads.lead_a.pk).status == LeadStatus.OPEN


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_qualifications_make_exactly_one_deal(cast, leads):
    lead = leads.lead_a
    start = threading.Barrier(2)
    results: dict[str, str] = {}

    def qualify(who: str, user):
        client = Client()
        client.force_login(user)
        start.wait()
        response = client.post(qualify_url(lead), {"version": 1})
        results[who] = response["Location"]
        connection.close()  # each thread has its own database connection

    threads = [
        threading.Thread(target=qualify, args=("rep", cast.rep_a)),
        threading.Thread(target=qualify, args=("manager", cast.manager_a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    deal = Deal.objects.get(title="Rep A's lead")
    deal_url = reverse("pipeline:deal-detail", args=[deal.pk])
    lead_url = reverse("leads:lead-detail", args=[lead.pk])
    assert sorted(results.values()) == sorted([deal_url, lead_url])
    assert DealStageChange.objects.filter(deal=deal).count() == 1
    lead.refresh_from_db()
    assert (lead.status, lead.deal, lead.version) == (LeadStatus.QUALIFIED, deal, 2)
    winner = cast.rep_a if results["rep"] == deal_url else cast.manager_a
    assert lead.decided_by == winner

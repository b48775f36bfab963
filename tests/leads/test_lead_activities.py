"""Activities on leads: scheduled from the lead page, in /activities/, reminded and digested
like a deal's, and visible exactly when the lead is."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import escape

from activities.models import Activity, ActivityType, Notification
from activities.queries import digest_for
from activities.services import activity_complete
from teams.models import ReminderOffset
from tests.activities.factories import make_activity

T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # a Wednesday
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)


def create_url(lead):
    return reverse("activities:lead-activity-create", args=[lead.pk])


def form_data(assignee, **changes):
    return {
        "type": ActivityType.CALL,
        "subject": "Qualification call",
        "due_date": "2026-06-12",
        "due_time": "10:00",
        "assignee": assignee.pk,
        "reminder_offset": ReminderOffset.MINUTES_15,
    } | changes


def test_rep_schedules_an_activity_on_their_lead(client, cast, leads):
    client.force_login(cast.rep_a)
    response = client.post(create_url(leads.lead_a), form_data(cast.rep_a))
    lead_page = reverse("leads:lead-detail", args=[leads.lead_a.pk])
    assert response["Location"] == lead_page + "#activities"
    activity = Activity.objects.get()
    assert (activity.lead, activity.deal, activity.about) == (leads.lead_a, None, leads.lead_a)
    assert activity.reminders.get().remind_at == datetime(2026, 6, 12, 9, 45, tzinfo=UTC)
    page = client.get(lead_page)
    assert "Qualification call" in page.text and "Scheduled: Qualification call" in page.text
    leads.lead_a.refresh_from_db()
    assert leads.lead_a.score == 25 + 5  # the source, and a next step planned


def test_htmx_gets_the_panel_and_the_lead_redraws_its_score(client, cast, leads):
    client.force_login(cast.rep_a)
    form = client.get(create_url(leads.lead_a), headers=HTMX)
    assert form.text.lstrip().startswith('<section id="activities"')
    assert f'hx-post="{create_url(leads.lead_a)}"' in form.text
    response = client.post(create_url(leads.lead_a), form_data(cast.rep_a), headers=HTMX)
    assert response.text.lstrip().startswith('<section id="activities"')
    triggers = json.loads(response["HX-Trigger"])
    assert "lead:changed" in triggers
    assert triggers["toast"]["message"] == "Scheduled: Qualification call"
    panel = client.get(reverse("activities:lead-panel", args=[leads.lead_a.pk]), headers=HTMX)
    assert "Qualification call" in panel.text
    plain = client.get(reverse("activities:lead-panel", args=[leads.lead_a.pk]))
    assert plain.status_code == 302


def test_full_page_form_leads_back_to_the_lead(client, cast, leads):
    client.force_login(cast.rep_a)
    page = client.get(create_url(leads.lead_a))
    assert "<html" in page.text
    assert f'href="{reverse("leads:inbox")}">Leads</a>' in page.text
    assert f'href="{reverse("leads:lead-detail", args=[leads.lead_a.pk])}#activities"' in page.text


def test_bad_input_saves_nothing(client, cast, leads):
    client.force_login(cast.rep_a)
    response = client.post(
        create_url(leads.lead_a), form_data(cast.rep_a, subject="", due_date="x")
    )
    assert response.status_code == 200 and "This field is required." in response.text
    assert not Activity.objects.exists()


def test_only_people_who_see_the_lead_can_be_assigned(client, cast, leads):
    client.force_login(cast.manager_a)
    response = client.post(create_url(leads.lead_a), form_data(cast.rep_b))
    assert "Select a valid choice" in response.text
    assert not Activity.objects.exists()


def test_edit_complete_reopen_and_delete_work_on_a_lead_activity(client, cast, leads):
    activity = make_activity(lead=leads.lead_a, due_date=date(2026, 6, 12), subject="Call")
    client.force_login(cast.rep_a)
    lead_page = reverse("leads:lead-detail", args=[leads.lead_a.pk]) + "#activities"
    edit = client.post(
        reverse("activities:activity-edit", args=[activity.pk]),
        form_data(cast.rep_a, subject="Call again"),
    )
    assert edit["Location"] == lead_page
    done = client.post(reverse("activities:activity-complete", args=[activity.pk]))
    assert done["Location"] == create_url(leads.lead_a) + f"?after={activity.pk}"
    next_step = client.get(done["Location"])
    assert "Schedule the next step" in next_step.text
    reopened = client.post(reverse("activities:activity-reopen", args=[activity.pk]))
    assert reopened["Location"] == lead_page
    confirm = client.get(reverse("activities:activity-delete", args=[activity.pk]))
    assert escape(leads.lead_a.title) in confirm.text
    deleted = client.post(reverse("activities:activity-delete", args=[activity.pk]))
    assert deleted["Location"] == lead_page
    assert not Activity.objects.exists()


def test_agenda_lists_lead_activities_with_a_link_to_the_lead(client, cast, leads):
    make_activity(lead=leads.lead_a, due_date=date(2026, 6, 10), subject="Call the lead")
    make_activity(deal=cast.deal_a, due_date=date(2026, 6, 10), subject="Call the deal")
    for viewer in (cast.rep_a, cast.manager_a):
        client.force_login(viewer)
        response = client.get(reverse("activities:activity-list"), {"person": cast.rep_a.pk})
        assert "Call the lead" in response.text and "Call the deal" in response.text
        lead_link = reverse("leads:lead-detail", args=[leads.lead_a.pk]) + "#activities"
        assert f'<a href="{lead_link}">' in response.text


def test_agenda_hides_an_activity_on_a_lead_its_viewer_may_not_see(client, cast, leads):
    # Assigned through the service to someone who cannot see lead_b (the form refuses that).
    make_activity(lead=leads.lead_b, assignee=cast.rep_a, due_date=date(2026, 6, 10))
    client.force_login(cast.rep_a)
    response = client.get(reverse("activities:activity-list"))
    assert response.context["agenda"].total == 0
    client.force_login(cast.admin)
    response = client.get(reverse("activities:activity-list"), {"person": cast.rep_a.pk})
    assert response.context["agenda"].total == 1


def test_completing_from_the_agenda_offers_the_next_step_on_the_lead(client, cast, leads):
    activity = make_activity(lead=leads.lead_a, due_date=date(2026, 6, 10), subject="Call")
    client.force_login(cast.rep_a)
    response = client.post(
        reverse("activities:activity-complete", args=[activity.pk]),
        {"from": "agenda"},
        headers={**HTMX, "HX-Current-URL": "http://testserver/activities/"},
    )
    assert f'href="{create_url(leads.lead_a)}?after={activity.pk}"' in response.text
    assert escape(leads.lead_a.title) in response.text


def test_a_lead_activity_is_reminded_with_a_link_to_the_lead(client, cast, leads, dispatch):
    make_activity(
        lead=leads.lead_a,
        due_at=T0 + timedelta(minutes=10),
        reminder_offset=ReminderOffset.MINUTES_15,
        subject="Call the buyer",
    )
    assert dispatch() == 1
    notification = Notification.objects.get()
    assert (notification.lead, notification.deal) == (leads.lead_a, None)
    assert "Call the buyer · Rep A's lead" in notification.text
    message = mail.outbox[0]
    assert "Lead: Rep A's lead" in message.body
    lead_url = reverse("leads:lead-detail", args=[leads.lead_a.pk])
    assert f"Open the lead: http://127.0.0.1:8000{lead_url}#activities" in message.body
    client.force_login(cast.rep_a)
    listing = client.get(reverse("activities:notification-list"))
    assert f'value="{lead_url}#activities"' in listing.text


def test_the_digest_lists_overdue_lead_activities(cast, leads):
    make_activity(lead=leads.lead_a, due_date=date(2026, 6, 8), subject="Send the brochure")
    content = digest_for(cast.rep_a)
    assert [a.subject for a in content.own.overdue] == ["Send the brochure"]
    assert content.own.overdue[0].about == leads.lead_a
    team = digest_for(cast.manager_a).team
    assert next(p for p in team if p.person == cast.rep_a).overdue_count == 1


def test_done_lead_activities_count_in_the_dashboard_activity_figures(cast, leads):
    from reporting.queries.scope import report_scope
    from tests.reporting.conftest import period

    activity = make_activity(lead=leads.lead_a, due_date=date(2026, 6, 10))
    activity_complete(activity=activity, actor=cast.rep_a)
    scope = report_scope(cast.manager_a, period=period("2026-06-01", "2026-06-30"))
    assert list(scope.activities()) == [Activity.objects.get(pk=activity.pk)]


def test_an_activity_is_on_exactly_one_deal_or_lead(cast, leads):
    common = {"subject": "X", "assignee": cast.rep_a, "due_date": date(2026, 6, 10)}
    for on in ({}, {"deal": cast.deal_a, "lead": leads.lead_a}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Activity.objects.create(**common, **on)

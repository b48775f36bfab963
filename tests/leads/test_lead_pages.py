"""Adding a lead (dialog or page), its page with the score breakdown, editing it in place."""

import json
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils.html import escape

from activities.models import Activity
from contacts.models import Contact, Organization
from leads.models import Lead, LeadSource
from leads.services import lead_disqualify, lead_update
from tests.activities.factories import make_activity
from tests.conftest import TRANSACTION_CONTROL

HTMX = {"HX-Request": "true"}
CREATE = reverse("leads:lead-create")


def edit_url(lead):
    return reverse("leads:lead-edit", args=[lead.pk])


def detail_url(lead):
    return reverse("leads:lead-detail", args=[lead.pk])


def test_rep_adds_a_lead_from_the_inbox_dialog(client, cast, leads):
    client.force_login(cast.rep_a)
    form = client.get(CREATE, headers=HTMX)
    assert form.status_code == 200 and "<html" not in form.text
    assert 'hx-post="/leads/new/"' in form.text
    response = client.post(
        CREATE,
        {
            "title": "Big one",
            "source": leads.referral.pk,
            "value": "30000",
            "currency": "EUR",
            "labels": [leads.hot.pk],
            "owner": cast.rep_b.pk,  # a rep cannot give a lead to someone else: ignored
        },
        headers=HTMX,
    )
    assert response.status_code == 204
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["toast"]["message"] == "Added “Big one” (score 40)."
    assert "leads:changed" in triggers and "lead-dialog:close" in triggers
    lead = Lead.objects.get(title="Big one")
    assert (lead.owner, lead.team, lead.territory, lead.created_by) == (
        cast.rep_a,
        cast.team_a,
        cast.team_a.territory,
        cast.rep_a,
    )
    assert (lead.value, lead.currency, lead.score) == (Decimal("30000.00"), "EUR", 40)
    assert list(lead.labels.all()) == [leads.hot]


def test_without_javascript_the_form_is_a_page_and_redirects_to_the_lead(client, cast, leads):
    client.force_login(cast.rep_a)
    assert "<html" in client.get(CREATE).text
    response = client.post(
        CREATE, {"title": "Plain", "source": leads.website.pk, "currency": "USD"}
    )
    lead = Lead.objects.get(title="Plain")
    assert response["Location"] == detail_url(lead)
    assert "Added “Plain” (score 10)." in client.get(response["Location"]).text


def test_bad_input_shows_errors_and_saves_nothing(client, cast, leads):
    client.force_login(cast.rep_a)
    before = Lead.objects.count()
    # Records rep_a owns, so that rep_a may pick them (visibility is tested below).
    acme = Organization.objects.create(name="Acme", owner=cast.rep_a)
    other = Contact.objects.create(
        organization=Organization.objects.create(name="Other", owner=cast.rep_a),
        first_name="X",
        last_name="Y",
        owner=cast.rep_a,
    )
    cases = [
        ({"title": "", "source": leads.website.pk, "currency": "USD"}, "This field is required."),
        ({"title": "No source", "currency": "USD"}, "This field is required."),
        (
            {"title": "T", "source": leads.website.pk, "currency": "USD", "value": "-5"},
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"title": "T", "source": leads.website.pk, "currency": "USD", "value": "abc"},
            "Enter a number.",
        ),
        (
            {"title": "T", "source": "999999", "currency": "USD"},
            "Select a valid choice.",
        ),
        (
            {
                "title": "T",
                "source": leads.website.pk,
                "currency": "USD",
                "organization": acme.pk,
                "contact": other.pk,
            },
            "works at another organization",
        ),
    ]
    for data, error in cases:
        for headers in ({}, HTMX):
            response = client.post(CREATE, data, headers=headers)
            assert response.status_code == 200
            assert error in response.text
            assert ("<html" in response.text) == (not headers)
    assert Lead.objects.count() == before


def test_a_retired_source_is_not_offered_for_new_leads(client, cast, leads):
    LeadSource.objects.filter(pk=leads.website.pk).update(is_active=False)
    client.force_login(cast.rep_a)
    response = client.post(CREATE, {"title": "T", "source": leads.website.pk, "currency": "USD"})
    assert "Select a valid choice." in response.text
    assert ">Website</option>" not in client.get(edit_url(leads.lead_a)).text
    # A lead that has it keeps it.
    client.force_login(cast.rep_a2)
    edit = client.get(edit_url(leads.lead_a2)).text
    assert f'<option value="{leads.website.pk}" selected>Website</option>' in edit


def test_manager_assigns_within_their_teams_only(client, cast, leads):
    client.force_login(cast.manager_a)
    data = {"title": "Handed over", "source": leads.website.pk, "currency": "USD"}
    response = client.post(CREATE, {**data, "owner": cast.rep_b.pk})
    assert "Select a valid choice" in response.text
    client.post(CREATE, {**data, "owner": cast.rep_a2.pk})
    lead = Lead.objects.get(title="Handed over")
    assert (lead.owner, lead.team) == (cast.rep_a2, cast.team_a)


def test_a_contact_alone_brings_its_organization(client, cast, leads):
    acme = Organization.objects.create(name="Acme", employees=1200, owner=cast.rep_a)
    ada = Contact.objects.create(
        organization=acme, first_name="Ada", last_name="L", email="a@x", owner=cast.rep_a
    )
    client.force_login(cast.rep_a)
    client.post(
        CREATE,
        {"title": "Via Ada", "source": leads.website.pk, "currency": "USD", "contact": ada.pk},
    )
    lead = Lead.objects.get(title="Via Ada")
    assert lead.organization == acme
    assert lead.score == 10 + 20 + 10  # source, 1,200 employees, e-mail


def test_lead_page_explains_the_score(client, cast, leads):
    client.force_login(cast.rep_a)
    text = client.get(detail_url(leads.lead_a)).text
    assert "Source: Referral" in text and "+25" in text
    assert "No value estimate" in text and "Company size unknown" in text
    assert 'id="activities"' in text and "No next activity" in text


def test_edit_in_place_swaps_the_summary_for_a_form_and_back(client, cast, leads):
    client.force_login(cast.rep_a)
    form = client.get(edit_url(leads.lead_a), headers=HTMX)
    assert form.text.lstrip().startswith('<div id="lead-summary">') and "<html" not in form.text
    assert 'name="version" value="1"' in form.text
    response = client.post(
        edit_url(leads.lead_a),
        {
            "title": "Renamed",
            "source": leads.referral.pk,
            "value": "6000",
            "currency": "USD",
            "labels": [leads.hot.pk, leads.nurture.pk],
            "version": 1,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="lead-summary"')
    assert "Value estimate: 6,000.00 USD" in response.text and ">35</span>" in response.text
    assert json.loads(response["HX-Trigger"])["toast"]["message"] == "Saved “Renamed”."
    lead = Lead.objects.get(pk=leads.lead_a.pk)
    assert (lead.title, lead.value, lead.version, lead.score) == ("Renamed", Decimal("6000"), 2, 35)
    assert set(lead.labels.all()) == {leads.hot, leads.nurture}


def test_edit_without_javascript_is_a_page(client, cast, leads):
    client.force_login(cast.rep_a)
    assert "<html" in client.get(edit_url(leads.lead_a)).text
    data = {"title": "Plain edit", "source": leads.referral.pk, "currency": "USD", "version": 1}
    response = client.post(edit_url(leads.lead_a), data)
    assert response["Location"] == detail_url(leads.lead_a)


def test_edit_refuses_a_stale_version_and_bad_input(client, cast, leads):
    lead_update(lead=leads.lead_a, version=1, actor=cast.manager_a, title="Manager's title")
    client.force_login(cast.rep_a)
    data = {"title": "Too late", "source": leads.referral.pk, "currency": "USD", "version": 1}
    response = client.post(edit_url(leads.lead_a), data, headers=HTMX)
    assert "Someone else changed this lead" in response.text
    assert 'value="Too late"' in response.text
    response = client.post(edit_url(leads.lead_a), {**data, "version": 2, "title": ""})
    assert "This field is required." in response.text
    assert Lead.objects.get(pk=leads.lead_a.pk).title == "Manager's title"


def test_a_decided_lead_no_longer_changes(client, cast, leads):
    lead_disqualify(lead=leads.lead_a, version=1, reason="Duplicate", actor=cast.rep_a)
    client.force_login(cast.rep_a)
    page = client.get(detail_url(leads.lead_a))
    assert edit_url(leads.lead_a) not in page.text
    data = {"title": "After", "source": leads.referral.pk, "currency": "USD", "version": 2}
    response = client.post(edit_url(leads.lead_a), data)
    assert "is disqualified; its details no longer change" in response.text
    assert Lead.objects.get(pk=leads.lead_a.pk).title == "Rep A's lead"


def test_summary_is_redrawn_for_htmx_after_activities_change(client, cast, leads):
    client.force_login(cast.rep_a)
    response = client.get(detail_url(leads.lead_a), headers={**HTMX, "HX-Target": "lead-summary"})
    assert response.text.lstrip().startswith('<div id="lead-summary"')
    assert "<html" not in response.text and escape("Rep A's lead") not in response.text


def counted(context) -> int:
    return len(
        [q for q in context.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
    )


def test_lead_page_queries_do_not_grow(client, cast, leads, assert_max_queries):
    """Session, user, bell, the lead, its labels, pipelines, and the activity panel (3)."""
    client.force_login(cast.rep_a)
    with assert_max_queries(10) as small:
        client.get(detail_url(leads.lead_a))
    for day in range(1, 26):
        make_activity(lead=leads.lead_a, due_date=date(2030, 1, day), subject=f"Call {day}")
    leads.lead_a.labels.add(leads.hot, leads.nurture)
    with assert_max_queries(counted(small)):
        response = client.get(detail_url(leads.lead_a))
    assert response.text.count('id="activity-') == 25
    assert Activity.objects.filter(lead=leads.lead_a).count() == 25


def test_a_lead_can_only_name_organizations_and_contacts_the_user_may_see(client, cast, leads):
    theirs = Organization.objects.create(name="Rival Corp", owner=cast.rep_b)
    their_contact = Contact.objects.create(
        organization=theirs, first_name="Bo", last_name="B", owner=cast.rep_b
    )
    client.force_login(cast.rep_a)
    form = client.get(CREATE).text
    assert "Rival Corp" not in form  # no list of every organization in the page

    for field, record in (("organization", theirs), ("contact", their_contact)):
        response = client.post(
            CREATE,
            {"title": "Sneaky", "source": leads.website.pk, "currency": "USD", field: record.pk},
        )
        assert f"No {field} called" in response.text
    assert not Lead.objects.filter(title="Sneaky").exists()

"""Django admin's deal page: details only, the owner decides team and territory, and a new
owner goes through the same service as the deal page (so the activities follow)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Reminder, ReminderState
from pipeline.models import Deal
from tests.activities.factories import make_activity


def change_url(deal):
    return reverse("admin:pipeline_deal_change", args=[deal.pk])


def form_data(response, **changes) -> dict:
    """What the browser would post back from the admin change page, with `changes`."""
    context = response.context
    forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict = {}
    for form in forms:
        for name in form.fields:
            bound = form[name]
            widget = bound.field.widget
            widget = getattr(widget, "widget", widget)  # inside admin's related-field wrapper
            widget = widget.get_context(bound.html_name, bound.value(), {})["widget"]
            for part in widget.get("subwidgets", [widget]):
                if part["value"] is not None:
                    data[part["name"]] = part["value"]
    return {key: value for key, value in data.items() if value not in ([], [None])} | changes


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast.admin)
    return client


def test_team_and_territory_are_shown_but_not_editable(admin_client, cast):
    page = admin_client.get(change_url(cast.deal_a))
    assert page.status_code == 200
    assert 'name="owner"' in page.text
    assert 'name="team"' not in page.text and 'name="territory"' not in page.text
    assert "Team A" in page.text  # shown, read-only

    response = admin_client.post(
        change_url(cast.deal_a),
        form_data(page, team=cast.team_b.pk, territory=cast.team_b.territory_id),
    )

    assert response.status_code == 302
    deal = Deal.objects.get(pk=cast.deal_a.pk)
    assert (deal.team, deal.territory) == (cast.team_a, cast.team_a.territory)


def test_a_new_owner_brings_their_team_and_territory_and_takes_over_the_activities(
    admin_client, cast
):
    call = make_activity(
        deal=cast.deal_a, due_at=timezone.now() + timedelta(days=1), reminder_offset=60
    )
    page = admin_client.get(change_url(cast.deal_a))

    response = admin_client.post(
        change_url(cast.deal_a), form_data(page, owner=cast.rep_b.pk, title="Handed over")
    )

    assert response.status_code == 302
    deal = Deal.objects.get(pk=cast.deal_a.pk)
    assert (deal.owner, deal.team, deal.territory) == (
        cast.rep_b,
        cast.team_b,
        cast.team_b.territory,
    )
    assert (deal.title, deal.version) == ("Handed over", 2)
    call.refresh_from_db()
    assert call.assignee == cast.rep_b
    armed = Reminder.objects.get(activity=call, state=ReminderState.PENDING)
    assert armed.recipient == cast.rep_b


def test_an_edit_made_while_someone_else_changed_the_deal_is_refused(admin_client, cast):
    page = admin_client.get(change_url(cast.deal_a))
    Deal.objects.filter(pk=cast.deal_a.pk).update(title="Changed meanwhile", version=2)

    response = admin_client.post(change_url(cast.deal_a), form_data(page, title="Mine"))

    assert response.status_code == 200
    assert "Someone else changed this deal" in response.text
    assert Deal.objects.get(pk=cast.deal_a.pk).title == "Changed meanwhile"


def test_saving_without_changes_writes_nothing(admin_client, cast):
    page = admin_client.get(change_url(cast.deal_a))
    assert admin_client.post(change_url(cast.deal_a), form_data(page)).status_code == 302
    assert Deal.objects.get(pk=cast.deal_a.pk).version == 1


def test_a_change_racing_the_form_check_is_reported_not_a_server_error(admin_client, cast):
    from unittest import mock

    from pipeline.services import DealConflict

    page = admin_client.get(change_url(cast.deal_a))
    with mock.patch("pipeline.services.deal_update", side_effect=DealConflict(cast.deal_a.pk)):
        response = admin_client.post(
            change_url(cast.deal_a), form_data(page, title="Mine"), follow=True
        )
    assert response.status_code == 200
    assert response.redirect_chain == [(change_url(cast.deal_a), 302)]
    assert "Someone else changed this deal" in response.text
    assert "was changed successfully" not in response.text
    assert Deal.objects.get(pk=cast.deal_a.pk).title == "Rep A's deal"

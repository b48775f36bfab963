"""The input rules every form, admin page and URL follows (README, "Input rules").

Dates lie between 1 January 1900 and 31 December 2200; single-line text holds no line breaks
or control characters; ids in paths and parameters are 1 to 2**63-1 in ASCII digits.
"""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core import mail
from django.test import RequestFactory
from django.urls import resolve, reverse

from activities.models import Activity, Reminder
from activities.services import reminders_dispatch
from contacts.models import Organization
from crm.dates import DAY_RANGE_MESSAGE, validate_supported_date
from crm.forms import BoundedModelMultipleChoiceField
from crm.text import SINGLE_LINE_MESSAGE, single_line, validate_single_line
from leads.models import Lead, LeadLabel
from notes.models import Note
from pipeline.models import Deal
from tests.leads.factories import make_source

LINE_BREAKS = ["Big\r\nDeal", "Big\nDeal", "Big\rDeal", "Big\tDeal", "Big\x1bDeal", "Big\u2028Deal"]


# Single-line text ------------------------------------------------------------------------


@pytest.mark.parametrize("title", LINE_BREAKS)
def test_a_deal_title_with_a_line_break_is_refused(client, cast, title):
    client.force_login(cast.rep_a)
    response = client.post(
        reverse("pipeline:deal-edit", args=[cast.deal_a.pk]),
        {
            "title": title,
            "value": "10.00",
            "currency": "USD",
            "owner": cast.rep_a.pk,
            "version": cast.deal_a.version,
        },
    )
    assert SINGLE_LINE_MESSAGE in response.text
    assert Deal.objects.get(pk=cast.deal_a.pk).title == "Rep A's deal"


def test_an_activity_subject_with_a_line_break_is_refused(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(
        reverse("activities:activity-create", args=[cast.deal_a.pk]),
        {
            "type": "call",
            "subject": "Call\r\nBcc: someone@example.com",
            "due_date": "2030-01-01",
            "assignee": cast.rep_a.pk,
            "note": "Line one\r\nLine two",
        },
    )
    assert SINGLE_LINE_MESSAGE in response.text
    assert not Activity.objects.exists()


def test_an_organization_name_with_a_line_break_is_refused(client, cast):
    client.force_login(cast.rep_a)
    response = client.post(reverse("contacts:organization-create"), {"name": "Acme\nInc"})
    assert SINGLE_LINE_MESSAGE in response.text
    assert not Organization.objects.exists()


def test_a_lead_title_with_a_line_break_is_refused(client, cast):
    client.force_login(cast.rep_a)
    source = make_source()
    response = client.post(
        reverse("leads:lead-create"),
        {"title": "Lead\r\none", "source": source.pk, "owner": cast.rep_a.pk},
    )
    assert SINGLE_LINE_MESSAGE in response.text
    assert not Lead.objects.exists()


def test_notes_keep_their_line_breaks(client, cast):
    client.force_login(cast.rep_a)
    client.post(
        reverse("notes:note-create", args=["deal", cast.deal_a.pk]),
        {"body": "First line\r\nSecond line"},
    )
    assert Note.objects.get().body.splitlines() == ["First line", "Second line"]


def test_a_reminder_about_a_title_stored_with_a_line_break_still_goes_out(
    cast, django_capture_on_commit_callbacks
):
    """A title written before forms refused line breaks: Django refuses such a Subject header,
    so the reminder e-mail was retried and never sent."""
    from crm.celery import app

    Deal.objects.filter(pk=cast.deal_a.pk).update(title="Big\r\nDeal")
    activity = Activity.objects.create(
        deal=cast.deal_a,
        assignee=cast.rep_a,
        subject="Call\nthe buyer",
        due_date=date(2026, 6, 10),
        due_at=datetime(2026, 6, 10, 9, 0, tzinfo=UTC),
    )
    Reminder.objects.create(
        activity=activity, recipient=cast.rep_a, remind_at=datetime(2026, 6, 10, 8, 45, tzinfo=UTC)
    )
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            reminders_dispatch(now=datetime(2026, 6, 10, 8, 50, tzinfo=UTC))
    finally:
        app.conf.task_always_eager = app.conf.task_eager_propagates = False
    [message] = mail.outbox
    assert message.subject.startswith("Reminder: Call: Call the buyer · Big Deal · due")
    assert "\n" not in message.message()["Subject"]


def test_single_line_folds_control_characters_into_one_space():
    assert single_line(" Big\r\n\tDeal\x00 ") == "Big Deal"
    assert single_line("") == ""


@pytest.mark.parametrize("text", ["Big Deal", "Café: 50 % off", "🙂", ""])
def test_ordinary_text_is_a_single_line(text):
    validate_single_line(text)


# Dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [date(1899, 12, 31), date(2201, 1, 1), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]
)
def test_days_outside_1900_to_2200_are_refused(value):
    with pytest.raises(forms.ValidationError, match=DAY_RANGE_MESSAGE):
        validate_supported_date(value)


def admin_forms(request):
    """The form class of every admin page of our apps, and of every inline on it (Django's
    own groups and axes' pages are theirs)."""
    for model, model_admin in admin.site._registry.items():
        if not Path(apps.get_app_config(model._meta.app_label).path).is_relative_to(
            settings.BASE_DIR
        ):
            continue
        yield model_admin, model_admin.get_form(request)
        for inline in model_admin.get_inline_instances(request):
            yield inline, inline.get_formset(request).form


def test_every_admin_form_follows_the_input_rules(cast):
    request = RequestFactory().get("/admin/")
    request.user = cast.admin
    request.resolver_match = resolve(reverse("admin:index"))
    checked = 0
    for owner, form_class in admin_forms(request):
        for name, field in form_class.base_fields.items():
            where = f"{type(owner).__name__}.{name}"
            if isinstance(field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField):
                assert validate_supported_date in field.validators, where
                checked += 1
            if isinstance(field, forms.CharField) and not isinstance(
                field.widget, forms.Textarea | forms.PasswordInput
            ):
                assert validate_single_line in field.validators, where
                checked += 1
            if type(field) is forms.ModelMultipleChoiceField:
                pytest.fail(f"{where} takes 30-digit ids to the database")
    assert checked > 20


def test_admin_refuses_a_far_expected_close_date(client, cast):
    client.force_login(cast.admin)
    deal = cast.deal_a
    page = client.get(reverse("admin:pipeline_deal_change", args=[deal.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields if form[name].value()}
    data.update(expected_close_date="9999-12-31", title="Renamed")
    response = client.post(reverse("admin:pipeline_deal_change", args=[deal.pk]), data)
    assert DAY_RANGE_MESSAGE in response.text
    assert Deal.objects.get(pk=deal.pk).title == "Rep A's deal"


# Ids and integers ------------------------------------------------------------------------


@pytest.mark.parametrize("deal_id", [str(2**63), "9" * 30, "0", "00"])
def test_an_id_that_cannot_name_a_row_is_not_found(client, cast, deal_id):
    client.force_login(cast.admin)
    assert client.get(f"/deals/{deal_id}/").status_code == 404


def test_the_largest_id_is_a_valid_url(client, cast):
    client.force_login(cast.admin)
    assert reverse("pipeline:deal-detail", args=[2**63 - 1]) == f"/deals/{2**63 - 1}/"
    assert client.get(f"/deals/{2**63 - 1}/").status_code == 404
    assert client.get(f"/deals/{cast.deal_a.pk}/").status_code == 200


@pytest.mark.parametrize("value", ["9" * 40, "²", "١٢", "-0", "1e9", str(2**63)])
@pytest.mark.parametrize(
    "url, name",
    [
        ("pipeline:board-default", "scope_owner"),
        ("pipeline:deal-list", "page"),
        ("activities:activity-list", "page"),
        ("reporting:dashboard", "person"),
        ("reporting:dashboard", "pipeline"),
        ("reporting:dashboard", "rep"),
        ("contacts:contact-list", "after"),
        ("leads:inbox", "after"),
    ],
)
def test_odd_numbers_in_query_parameters_are_not_errors(client, cast, url, name, value):
    client.force_login(cast.admin)
    assert client.get(reverse(url), {name: value}).status_code < 500


def test_a_30_digit_label_id_is_a_form_error(client, cast):
    client.force_login(cast.rep_a)
    label = LeadLabel.objects.create(name="Hot")
    response = client.post(
        reverse("leads:lead-create"),
        {
            "title": "New lead",
            "source": make_source().pk,
            "owner": cast.rep_a.pk,
            "labels": [label.pk, "9" * 30],
        },
    )
    assert response.status_code in (200, 422)
    assert not Lead.objects.exists()
    assert isinstance(response.context["form"].fields["labels"], BoundedModelMultipleChoiceField)


@pytest.mark.parametrize(
    "url, name",
    [
        ("pipeline:board-changes", "scope_q"),
        ("pipeline:board-column", "scope_q"),
        ("pipeline:deal-list", "q"),
        ("pipeline:deal-export", "q"),
    ],
)
def test_a_nul_byte_in_a_search_is_not_an_error(client, cast, url, name):
    """PostgreSQL refuses NUL in any text it is given, a LIKE pattern included."""
    client.force_login(cast.rep_a)
    args = {
        "pipeline:board-changes": [cast.pipeline.pk],
        "pipeline:board-column": [cast.pipeline.pk, cast.deal_a.stage_id],
    }.get(url, [])
    response = client.get(reverse(url, args=args), {name: "Rep\x00A"})
    assert response.status_code < 400

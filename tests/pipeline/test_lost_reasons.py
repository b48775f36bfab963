"""Marking a deal lost: a reason from the admins' list, or "Other" said in words."""

import pytest
from django.urls import reverse

from pipeline import services
from pipeline.imports import IMPORTED_LOST_REASON, imported_lost_reason
from pipeline.models import Deal, DealFieldChange, DealStatus, LostReason


@pytest.fixture
def reasons(db):
    return {
        "price": LostReason.objects.create(name="Price too high", order=2),
        "competitor": LostReason.objects.create(name="Chose a competitor", order=1),
        "retired": LostReason.objects.create(name="Missing feature", order=3, active=False),
    }


def lost_url(deal):
    return reverse("pipeline:deal-lost", args=[deal.pk])


def test_the_dialog_offers_the_active_reasons_in_order_and_other(client, cast, reasons):
    client.force_login(cast.rep_a)
    form = client.get(reverse("pipeline:deal-detail", args=[cast.deal_a.pk])).context["lost_form"]
    assert [label for _, label in form.fields["reason"].choices] == [
        "Chose a competitor",
        "Price too high",
        "Other (say why)",
    ]


def test_a_listed_reason_with_optional_details(client, cast, reasons):
    client.force_login(cast.rep_a)
    response = client.post(
        lost_url(cast.deal_a),
        {"version": 1, "reason": reasons["price"].pk, "reason_text": " 20 % over budget "},
    )
    assert response.status_code == 302
    deal = Deal.objects.select_related("lost_reason").get(pk=cast.deal_a.pk)
    assert (deal.status, deal.lost_reason, deal.lost_reason_text) == (
        DealStatus.LOST,
        reasons["price"],
        "20 % over budget",
    )
    assert deal.lost_reason_label == "Price too high: 20 % over budget"
    change = DealFieldChange.objects.get(deal=deal)
    assert (change.field, change.new_value, change.changed_by) == (
        "lost_reason",
        "Price too high: 20 % over budget",
        cast.rep_a,
    )
    assert change.changed_at == deal.closed_at
    page = client.get(reverse("pipeline:deal-detail", args=[deal.pk]))
    assert "Price too high: 20 % over budget" in page.text


def test_other_needs_words(client, cast, reasons):
    client.force_login(cast.rep_a)
    response = client.post(lost_url(cast.deal_a), {"version": 1, "reason": "other"})
    assert response.status_code == 400 and "Say why the deal was lost." in response.text
    assert 'class="collapse show' in response.text  # the dialog stays open
    client.post(lost_url(cast.deal_a), {"version": 1, "reason": "other", "reason_text": "Merger"})
    deal = Deal.objects.get(pk=cast.deal_a.pk)
    assert (deal.lost_reason, deal.lost_reason_text, deal.lost_reason_label) == (
        None,
        "Merger",
        "Other: Merger",
    )


@pytest.mark.parametrize("choice", ["", "retired", "999999", "1e3", "²", "other\x00"], ids=repr)
def test_no_choice_an_inactive_or_unknown_reason_is_a_form_error(client, cast, reasons, choice):
    client.force_login(cast.rep_a)
    value = reasons["retired"].pk if choice == "retired" else choice
    response = client.post(lost_url(cast.deal_a), {"version": 1, "reason": value})
    assert response.status_code == 400
    assert Deal.objects.get(pk=cast.deal_a.pk).status == DealStatus.OPEN
    assert not DealFieldChange.objects.exists()


def test_the_service_refuses_no_reason_and_no_words(cast):
    with pytest.raises(services.DealChangeRefused, match="Say why"):
        services.deal_mark_lost(deal=cast.deal_a, version=1, reason=None, actor=cast.rep_a)


def test_reopening_clears_the_reason(cast, reasons):
    deal = services.deal_mark_lost(
        deal=cast.deal_a, version=1, reason=reasons["price"], reason_text="x", actor=cast.rep_a
    )
    deal = services.deal_reopen(deal=deal, version=deal.version, actor=cast.rep_a)
    deal.refresh_from_db()
    assert (deal.lost_reason, deal.lost_reason_text) == (None, "")


def test_a_reason_in_use_cannot_be_deleted(cast, reasons):
    from django.db.models import ProtectedError

    services.deal_mark_lost(deal=cast.deal_a, version=1, reason=reasons["price"], actor=cast.rep_a)
    with pytest.raises(ProtectedError):
        reasons["price"].delete()


def test_the_importer_gives_lost_deals_a_reason_of_their_own(db):
    reason = imported_lost_reason()
    assert (reason.name, reason.active) == (IMPORTED_LOST_REASON, False)
    assert imported_lost_reason() == reason  # found again, not created twice


def test_admins_keep_the_list_in_django_admin(client, cast):
    client.force_login(cast.admin)
    response = client.post(
        reverse("admin:pipeline_lostreason_add"), {"name": "No budget", "active": "on", "order": 4}
    )
    assert response.status_code == 302
    assert LostReason.objects.get().name == "No budget"

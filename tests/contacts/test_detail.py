"""The organization and contact pages: every field, deals by status with totals from SQL,
their activities, the organization's contacts, and only what the viewer may see."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from pipeline.models import DealStatus
from tests.activities.factories import make_activity
from tests.contacts.conftest import ACCESS_CASES, HIDDEN, htmx
from tests.factories import make_contact, make_deal, make_organization


def detail_url(kind: str, record) -> str:
    return reverse(f"contacts:{kind}-detail", args=[record.pk])


@pytest.mark.parametrize("kind", ["organization", "contact"])
@pytest.mark.parametrize(("viewer", "record", "access"), ACCESS_CASES)
def test_detail_answers_404_to_whoever_may_not_see_the_record(
    client, cast, records, kind, viewer, record, access
):
    target = getattr(records, kind)(record)
    client.force_login(cast.user(viewer))
    response = client.get(detail_url(kind, target))
    assert response.status_code == (404 if access == HIDDEN else 200)
    if access != HIDDEN:
        assert escape(str(target)) in response.text


@pytest.mark.parametrize("kind", ["organization", "contact"])
def test_detail_needs_get(client, cast, records, kind):
    client.force_login(cast.admin)
    response = client.post(detail_url(kind, getattr(records, kind)("own_a")))
    assert response.status_code == 405


def test_contact_page_shows_every_field_with_phone_and_email_links(client, cast):
    acme = make_organization("Acme", owner=cast.rep_a)
    ada = make_contact(
        organization=acme,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.example",
        phone="+44 (20) 7946-0000",
        job_title="Chief analyst",
        owner=cast.rep_a,
    )
    client.force_login(cast.rep_a)
    page = client.get(detail_url("contact", ada)).text
    assert 'href="mailto:ada@acme.example"' in page
    assert 'href="tel:+442079460000"' in page
    assert "+44 (20) 7946-0000" in page
    assert "Chief analyst" in page
    assert f'href="{detail_url("organization", acme)}"' in page
    assert "Rep_A" in page  # the owner


def test_organization_page_shows_every_field_and_its_contacts(client, cast):
    parent = make_organization("Parent Holding", owner=cast.rep_a)
    acme = make_organization(
        "Acme",
        owner=cast.rep_a,
        sector="retail",
        country="Chile",
        employees=120,
        year_established=1999,
        annual_revenue=Decimal("12.50"),
        parent=parent,
    )
    make_organization("Acme Subsidiary", owner=cast.rep_a, parent=acme)
    ada = make_contact(organization=acme, first_name="Ada", email="ada@acme.example")
    ada.owner = cast.rep_a
    ada.save()
    client.force_login(cast.rep_a)
    page = client.get(detail_url("organization", acme)).text
    for text in ("retail", "Chile", "120", "1999", "12.50 million", "Parent Holding"):
        assert text in page
    assert f'href="{detail_url("organization", parent)}"' in page
    assert "Acme Subsidiary" in page
    assert f'href="{detail_url("contact", ada)}"' in page
    assert 'href="mailto:ada@acme.example"' in page


def test_organization_page_lists_only_the_contacts_the_viewer_may_see(client, cast, records):
    shared = records.organization("shared")
    hidden = make_contact(organization=shared, first_name="Hidden", owner=cast.rep_b)
    client.force_login(cast.rep_a)
    page = client.get(detail_url("organization", shared)).text
    assert escape(str(records.contact("shared"))) in page  # on rep_a's deal
    assert "Hidden" not in page
    client.force_login(cast.rep_b)
    assert escape(str(hidden)) in client.get(detail_url("organization", shared)).text


def test_a_contact_whose_organization_is_hidden_names_it_without_a_link(client, cast, records):
    orphan = records.organization("orphan")
    mine = make_contact(organization=orphan, first_name="Mine", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    page = client.get(detail_url("contact", mine)).text
    assert "Orphan Org" in page
    assert detail_url("organization", orphan) not in page


def test_deals_are_grouped_by_status_with_count_and_totals_per_currency(client, cast):
    acme = make_organization("Acme", owner=cast.rep_a)
    stage = cast.pipeline.stages.first()
    for value, status, currency in [
        ("100.00", DealStatus.OPEN, "USD"),
        ("250.50", DealStatus.OPEN, "USD"),
        ("40.00", DealStatus.OPEN, "EUR"),
        ("1000.00", DealStatus.WON, "USD"),
        ("5.25", DealStatus.LOST, "USD"),
    ]:
        make_deal(
            owner=cast.rep_a,
            stage=stage,
            organization=acme,
            value=value,
            status=status,
            currency=currency,
        )
    # rep_b's deal there is not rep_a's to see, nor to count.
    make_deal(owner=cast.rep_b, stage=stage, organization=acme, value="9999.00")
    client.force_login(cast.rep_a)
    page = client.get(detail_url("organization", acme)).text
    assert 'data-deal-count="open">3<' in page
    assert 'data-deal-count="won">1<' in page
    assert 'data-deal-count="lost">1<' in page
    assert "350.50 USD" in page and "40.00 EUR" in page and "1,000.00 USD" in page
    assert "9,999.00" not in page
    client.force_login(cast.admin)
    assert 'data-deal-count="open">4<' in client.get(detail_url("organization", acme)).text


def test_record_pages_show_upcoming_and_recent_activities_of_their_deals(client, cast, records):
    contact = records.contact("shared")
    today = timezone.localdate()
    make_activity(deal=cast.deal_a, subject="Call about the renewal", due_date=today)
    done = make_activity(deal=cast.deal_a, subject="Sent the quote", due_date=today)
    done.done, done.done_at = True, timezone.now() - timedelta(hours=1)
    done.save()
    make_activity(deal=cast.deal_b, subject="Not on this contact's deals", due_date=today)
    client.force_login(cast.rep_a)
    for url in (
        detail_url("contact", contact),
        detail_url("organization", records.organization("shared")),
    ):
        page = client.get(url).text
        assert "Call about the renewal" in page and "Sent the quote" in page
        assert "Not on this contact" not in page


def test_a_reader_sees_no_edit_or_merge_controls(client, cast, records):
    shared = records.organization("shared")
    client.force_login(cast.rep_a)
    page = client.get(detail_url("organization", shared)).text
    assert reverse("contacts:organization-edit", args=[shared.pk]) not in page
    assert reverse("contacts:organization-merge", args=[shared.pk]) not in page
    assert "You see this organization through your deals" in page
    client.force_login(cast.rep_b)
    page = client.get(detail_url("organization", shared)).text
    assert reverse("contacts:organization-edit", args=[shared.pk]) in page


@pytest.mark.parametrize("kind", ["organization", "contact"])
def test_htmx_asks_for_the_details_card_only(client, cast, records, kind):
    client.force_login(cast.rep_a)
    response = client.get(
        detail_url(kind, getattr(records, kind)("own_a")), headers=htmx(f"{kind}-fields")
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="{kind}-fields"' in response.text


def test_user_text_is_escaped(client, cast):
    evil = make_organization("<script>alert(1)</script>", owner=cast.rep_a)
    make_contact(organization=evil, first_name="<b>x</b>", owner=cast.rep_a)
    client.force_login(cast.rep_a)
    page = client.get(detail_url("organization", evil)).text
    assert "<script>alert(1)</script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize("kind", ["organization", "contact"])
def test_detail_runs_a_fixed_number_of_queries(client, cast, records, kind, assert_max_queries):
    record = getattr(records, kind)("shared")
    client.force_login(cast.manager_a)
    url = detail_url(kind, record)
    # 12, and one for the custom field definitions the page shows.
    with assert_max_queries(13) as small:
        assert client.get(url).status_code == 200
    stage = cast.pipeline.stages.first()
    organization = records.organization("shared")
    for index in range(15):
        deal = make_deal(
            owner=cast.rep_a2,
            stage=stage,
            organization=organization,
            contact=records.contact("shared"),
            status=[DealStatus.OPEN, DealStatus.WON, DealStatus.LOST][index % 3],
        )
        make_activity(deal=deal, due_date=timezone.localdate())
        make_contact(organization=organization, owner=cast.rep_a)
        make_organization(parent=organization, owner=cast.rep_a)
    with assert_max_queries(13) as large:
        assert client.get(url).status_code == 200
    count = lambda context: len(  # noqa: E731
        [q for q in context.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    )
    assert count(small) == count(large)

"""The webhook screens: who sees what (404 otherwise), methods, bad input, htmx partials."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline import services as deal_services
from tests.activities.helpers import HTMX, is_fragment, toast_message
from tests.test_csp import inline_code
from tests.webhooks.conftest import make_webhook
from webhooks.models import Event, OutboxEvent, Webhook, WebhookDelivery
from webhooks.services import events_fan_out

pytestmark = pytest.mark.django_db

CAST = ["rep_a", "rep_a2", "rep_b", "manager_a", "manager_b", "admin"]
PUBLIC_URL = "https://93.184.216.34/hook"  # an address literal: no DNS needed in tests


@pytest.fixture
def hook(cast):
    """rep_a's webhook with one delivery in its log."""
    webhook = make_webhook(cast.rep_a, created_at=timezone.now() - timedelta(minutes=1))
    deal_services.deal_update(deal=cast.deal_a, version=1, actor=cast.rep_a, title="Logged")
    events_fan_out()
    return webhook


def urls(hook):
    delivery = WebhookDelivery.objects.get(webhook=hook)
    return {
        "detail": ("GET", reverse("webhooks:webhook-detail", args=[hook.pk])),
        "edit": ("GET", reverse("webhooks:webhook-edit", args=[hook.pk])),
        "delete": ("GET", reverse("webhooks:webhook-delete", args=[hook.pk])),
        "delivery": (
            "GET",
            reverse("webhooks:delivery-detail", args=[hook.pk, delivery.pk]),
        ),
        "edit-post": ("POST", reverse("webhooks:webhook-edit", args=[hook.pk])),
        "delete-post": ("POST", reverse("webhooks:webhook-delete", args=[hook.pk])),
        "disable": ("POST", reverse("webhooks:webhook-disable", args=[hook.pk])),
        "enable": ("POST", reverse("webhooks:webhook-enable", args=[hook.pk])),
        "ping": ("POST", reverse("webhooks:webhook-ping", args=[hook.pk])),
    }


def state(hook) -> tuple:
    row = Webhook.objects.filter(pk=hook.pk).values("url", "events", "active").first()
    return row, OutboxEvent.objects.count(), WebhookDelivery.objects.count()


@pytest.mark.parametrize("viewer", CAST)
@pytest.mark.parametrize(
    "name",
    [
        "detail",
        "edit",
        "delete",
        "delivery",
        "edit-post",
        "delete-post",
        "disable",
        "enable",
        "ping",
    ],
)
def test_only_the_owner_and_admins_reach_a_webhook(client, cast, hook, viewer, name):
    method, url = urls(hook)[name]
    client.force_login(cast.user(viewer))
    before = state(hook)
    data = {"url": PUBLIC_URL, "events": [Event.DEAL_WON]} if name == "edit-post" else {}
    response = client.generic(method, url, data) if method == "GET" else client.post(url, data)
    if viewer in ("rep_a", "admin"):
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 404
        assert state(hook) == before


def test_a_delivery_of_another_webhook_is_404(client, cast, hook):
    other = make_webhook(cast.rep_a)
    delivery = WebhookDelivery.objects.get(webhook=hook)
    client.force_login(cast.rep_a)
    url = reverse("webhooks:delivery-detail", args=[other.pk, delivery.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("raw", ["0", "99999999999999999999999", "12345678901234567890"])
def test_malformed_or_huge_ids_are_404(client, cast, raw):
    client.force_login(cast.admin)
    assert client.get(f"/webhooks/{raw}/").status_code == 404
    assert client.get(f"/webhooks/1/deliveries/{raw}/").status_code == 404


def test_the_list_shows_own_webhooks_and_an_admin_everyones(client, cast, hook):
    make_webhook(cast.rep_b, url="https://b.example.com/")
    client.force_login(cast.rep_a)
    page = client.get(reverse("webhooks:webhook-list"))
    assert hook.url in page.text and "b.example.com" not in page.text
    client.force_login(cast.admin)
    page = client.get(reverse("webhooks:webhook-list"))
    assert hook.url in page.text and "b.example.com" in page.text


def test_the_user_menu_links_to_webhooks(client, cast):
    client.force_login(cast.rep_b)
    assert reverse("webhooks:webhook-list") in client.get(reverse("profile")).text


@pytest.mark.parametrize("viewer", CAST)
def test_everyone_may_register_a_webhook_and_sees_its_secret_once(client, cast, viewer):
    client.force_login(cast.user(viewer))
    response = client.post(
        reverse("webhooks:webhook-create"),
        {"url": PUBLIC_URL, "events": [Event.DEAL_CREATED, Event.DEAL_WON], "description": "ERP"},
    )
    webhook = Webhook.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:webhook-detail", args=[webhook.pk])
    assert webhook.owner == cast.user(viewer)
    assert webhook.events == ["deal.created", "deal.won"]
    assert webhook.secret.startswith("whsec_")
    first = client.get(response["Location"])
    assert webhook.secret in first.text
    assert webhook.secret not in client.get(response["Location"]).text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"url": "ftp://example.com/", "events": ["deal.won"]}, "url", "Only http"),
        ({"url": "http://127.0.0.1/", "events": ["deal.won"]}, "url", "loopback"),
        ({"url": "http://10.0.0.1/", "events": ["deal.won"]}, "url", "private"),
        ({"url": "http://169.254.169.254/", "events": ["deal.won"]}, "url", "link-local"),
        ({"url": "http://2130706433/", "events": ["deal.won"]}, "url", "loopback"),
        ({"url": "", "events": ["deal.won"]}, "url", "required"),
        ({"url": PUBLIC_URL, "events": []}, "events", "at least one event"),
        ({"url": PUBLIC_URL, "events": ["deal.exploded"]}, "events", "not one of"),
        ({"url": PUBLIC_URL + "x" * 2000, "events": ["deal.won"]}, "url", "at most"),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(client, cast, data, field, message):
    client.force_login(cast.manager_a)
    response = client.post(reverse("webhooks:webhook-create"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Webhook.objects.exists()


def test_private_targets_are_accepted_when_the_setting_allows_them(client, cast, private_targets):
    client.force_login(cast.admin)
    response = client.post(
        reverse("webhooks:webhook-create"),
        {"url": "http://127.0.0.1:9000/hook", "events": ["deal.won"]},
    )
    assert response.status_code == 302


def test_editing_changes_url_and_events_but_not_the_secret(client, cast, hook):
    secret = hook.secret
    client.force_login(cast.rep_a)
    form = client.get(reverse("webhooks:webhook-edit", args=[hook.pk]))
    assert hook.url in form.text and secret not in form.text
    response = client.post(
        reverse("webhooks:webhook-edit", args=[hook.pk]),
        {"url": PUBLIC_URL, "events": [Event.ACTIVITY_DONE]},
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.url, hook.events, hook.secret) == (PUBLIC_URL, ["activity.done"], secret)


def test_an_edit_to_a_private_target_is_refused(client, cast, hook):
    client.force_login(cast.rep_a)
    response = client.post(
        reverse("webhooks:webhook-edit", args=[hook.pk]),
        {"url": "http://192.168.0.10/", "events": [Event.DEAL_WON]},
    )
    assert response.status_code == 200
    hook.refresh_from_db()
    assert hook.url == "https://hooks.example.com/crm"


def test_delete_asks_first_and_then_removes_the_webhook_with_its_log(client, cast, hook):
    client.force_login(cast.rep_a)
    url = reverse("webhooks:webhook-delete", args=[hook.pk])
    assert "Delete this webhook?" in client.get(url).text
    assert client.post(url).status_code == 302
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()


def test_disable_and_enable_with_and_without_htmx(client, cast, hook):
    client.force_login(cast.rep_a)
    disable = reverse("webhooks:webhook-disable", args=[hook.pk])
    enable = reverse("webhooks:webhook-enable", args=[hook.pk])
    response = client.post(disable, headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert 'id="webhook-summary"' in response.text and "Enable" in response.text
    assert toast_message(response).startswith("Disabled")
    hook.refresh_from_db()
    assert not hook.active and "rep_a" in hook.disabled_reason
    assert toast_message(client.post(disable, headers=HTMX)) == "It was already disabled."
    Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=5)
    response = client.post(enable)
    assert response.status_code == 302
    hook.refresh_from_db()
    assert hook.active and hook.disabled_at is None and hook.consecutive_failures == 0


def test_a_ping_queues_one_signed_test_delivery(client, cast, hook):
    client.force_login(cast.rep_a)
    response = client.post(reverse("webhooks:webhook-ping", args=[hook.pk]), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert "Ping queued" in toast_message(response)
    ping = WebhookDelivery.objects.get(event__name="ping")
    assert ping.webhook == hook and ping.event.payload["data"]["webhook_id"] == hook.pk


def test_a_disabled_webhook_is_not_pinged(client, cast, hook):
    Webhook.objects.filter(pk=hook.pk).update(active=False, disabled_at=timezone.now())
    client.force_login(cast.rep_a)
    response = client.post(reverse("webhooks:webhook-ping", args=[hook.pk]))
    assert response.status_code == 302
    assert not WebhookDelivery.objects.filter(event__name="ping").exists()


@pytest.mark.parametrize(
    ("name", "wrong"),
    [
        ("webhook-list", "post"),
        ("webhook-detail", "post"),
        ("delivery-detail", "post"),
        ("webhook-enable", "get"),
        ("webhook-disable", "get"),
        ("webhook-ping", "get"),
    ],
)
def test_wrong_methods_are_405(client, cast, hook, name, wrong):
    client.force_login(cast.rep_a)
    delivery = WebhookDelivery.objects.get(webhook=hook)
    args = {
        "webhook-list": [],
        "delivery-detail": [hook.pk, delivery.pk],
    }.get(name, [hook.pk])
    response = getattr(client, wrong)(reverse(f"webhooks:{name}", args=args))
    assert response.status_code == 405
    assert Webhook.objects.get().active


def test_the_log_shows_status_code_attempts_and_error_and_the_payload(client, cast, hook):
    delivery = WebhookDelivery.objects.get(webhook=hook)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=2, last_status_code=503, last_error="HTTP 503."
    )
    client.force_login(cast.rep_a)
    page = client.get(reverse("webhooks:webhook-detail", args=[hook.pk])).text
    assert "503" in page and "HTTP 503." in page and "Failed, will retry" in page
    detail = client.get(reverse("webhooks:delivery-detail", args=[hook.pk, delivery.pk])).text
    assert str(delivery.uuid) in detail and "&quot;title&quot;: &quot;Logged&quot;" in detail


@pytest.mark.parametrize("size", [5, 120])
def test_the_log_pages_newest_first_by_keyset_in_fixed_queries(
    client, cast, hook, size, assert_max_queries
):
    events = OutboxEvent.objects.bulk_create(
        OutboxEvent(name="deal.updated", object_kind="deal", object_id=1, payload={})
        for _ in range(size)
    )
    WebhookDelivery.objects.bulk_create(WebhookDelivery(webhook=hook, event=e) for e in events)
    ids = list(
        WebhookDelivery.objects.filter(webhook=hook).order_by("-id").values_list("pk", flat=True)
    )
    client.force_login(cast.rep_a)
    url = reverse("webhooks:webhook-detail", args=[hook.pk])
    client.get(url)  # the session's first read
    with assert_max_queries(6):
        page = client.get(url)
    assert [d.pk for d in page.context["log"].deliveries] == ids[:50]
    if size > 50:
        older = client.get(url, {"before": page.context["log"].older}, headers=HTMX)
        assert is_fragment(older) and 'id="delivery-log"' in older.text
        assert [d.pk for d in older.context["log"].deliveries] == ids[50:100]
    else:
        assert page.context["log"].older is None


@pytest.mark.parametrize("size", [2, 40])
def test_the_list_runs_fixed_queries(client, cast, size, assert_max_queries):
    for index in range(size):
        make_webhook(cast.rep_a, url=f"https://{index}.example.com/")
    client.force_login(cast.admin)
    client.get(reverse("webhooks:webhook-list"))
    with assert_max_queries(4):
        page = client.get(reverse("webhooks:webhook-list"))
    assert len(page.context["webhooks"]) == size


def test_the_pages_hold_no_inline_code(client, cast, hook):
    client.force_login(cast.rep_a)
    delivery = WebhookDelivery.objects.get(webhook=hook)
    for url in (
        reverse("webhooks:webhook-list"),
        reverse("webhooks:webhook-create"),
        reverse("webhooks:webhook-detail", args=[hook.pk]),
        reverse("webhooks:webhook-edit", args=[hook.pk]),
        reverse("webhooks:webhook-delete", args=[hook.pk]),
        reverse("webhooks:delivery-detail", args=[hook.pk, delivery.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.text) == [], url


def test_admin_lists_webhooks_events_and_deliveries(client, cast, hook):
    client.force_login(cast.admin)
    for name in ("webhook", "outboxevent", "webhookdelivery"):
        response = client.get(reverse(f"admin:webhooks_{name}_changelist"))
        assert response.status_code == 200, name
    change = client.get(reverse("admin:webhooks_webhook_change", args=[hook.pk]))
    assert change.status_code == 200 and hook.secret not in change.text

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.http import AuthenticatedHttpRequest, parse_id, toast
from webhooks import services
from webhooks.access import delivery_for_user, webhook_for_user
from webhooks.forms import WebhookForm
from webhooks.models import Event, Webhook
from webhooks.queries import delivery_log, webhooks_with_counts

# The secret of a webhook just created waits here for the one page that shows it.
SECRET_SESSION_KEY = "webhook_secret"


@require_GET
def webhook_list(request):
    return render(
        request,
        "webhooks/webhook_list.html",
        {"webhooks": list(webhooks_with_counts(request.user))},
    )


@require_http_methods(["GET", "POST"])
def webhook_create(request):
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        webhook = services.webhook_create(
            owner=request.user,
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            description=form.cleaned_data["description"],
        )
        # Shown once, on the next page: never in a URL, a log or a page that can be reloaded.
        request.session[SECRET_SESSION_KEY] = {"id": webhook.pk, "secret": webhook.secret}
        messages.success(request, "Webhook saved. Copy its secret now: it is not shown again.")
        return redirect("webhooks:webhook-detail", webhook.pk)
    return render(request, "webhooks/webhook_form.html", {"form": form, "webhook": None})


def render_detail(request: AuthenticatedHttpRequest, webhook: Webhook, **extra) -> HttpResponse:
    """The webhook's page, or (htmx) the part named by `partial`, re-read from the database."""
    partial = extra.pop("partial", None)
    before = parse_id(request.GET.get("before"))
    context = {
        "webhook": webhook,
        "log": delivery_log(webhook, before=before),
        "event_labels": dict(Event.choices),
        **extra,
    }
    template = "webhooks/webhook_detail.html" + (f"#{partial}" if partial else "")
    return render(request, template, context)


@require_GET
def webhook_detail(request, webhook_id: int):
    webhook = webhook_for_user(request.user, webhook_id)
    if request.htmx:
        return render_detail(request, webhook, partial="log")
    shown = request.session.get(SECRET_SESSION_KEY)
    secret = None
    if shown and shown.get("id") == webhook.pk:
        secret = shown["secret"]
        del request.session[SECRET_SESSION_KEY]
    return render_detail(request, webhook, secret=secret)


@require_http_methods(["GET", "POST"])
def webhook_edit(request, webhook_id: int):
    webhook = webhook_for_user(request.user, webhook_id)
    initial = {"url": webhook.url, "description": webhook.description, "events": webhook.events}
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.webhook_update(
            webhook=webhook,
            actor=request.user,
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            description=form.cleaned_data["description"],
        )
        messages.success(request, "Webhook saved.")
        return redirect("webhooks:webhook-detail", webhook.pk)
    return render(request, "webhooks/webhook_form.html", {"form": form, "webhook": webhook})


@require_http_methods(["GET", "POST"])
def webhook_delete(request, webhook_id: int):
    webhook = webhook_for_user(request.user, webhook_id)
    if request.method == "GET":
        return render(request, "webhooks/webhook_confirm_delete.html", {"webhook": webhook})
    services.webhook_delete(webhook=webhook, actor=request.user)
    messages.success(request, f"Deleted the webhook to {webhook.url}.")
    return redirect("webhooks:webhook-list")


def _after_action(request, webhook: Webhook, message: str, level: str = "success"):
    """Answer a button on the webhook's page: its summary again (htmx), or the page."""
    if request.htmx:
        webhook.refresh_from_db()
        return toast(render_detail(request, webhook, partial="summary"), message, level)
    getattr(messages, level)(request, message)
    return redirect("webhooks:webhook-detail", webhook.pk)


@require_POST
def webhook_enable(request, webhook_id: int):
    webhook = webhook_for_user(request.user, webhook_id)
    if services.webhook_enable(webhook=webhook, actor=request.user):
        return _after_action(request, webhook, "Enabled: deliveries resume.")
    return _after_action(request, webhook, "It was already enabled.", "info")


@require_POST
def webhook_disable(request, webhook_id: int):
    webhook = webhook_for_user(request.user, webhook_id)
    if services.webhook_disable(webhook=webhook, actor=request.user):
        return _after_action(request, webhook, "Disabled: nothing is sent until you enable it.")
    return _after_action(request, webhook, "It was already disabled.", "info")


@require_POST
def webhook_ping(request, webhook_id: int):
    webhook = webhook_for_user(request.user, webhook_id)
    if not webhook.active:
        return _after_action(request, webhook, "Enable the webhook to send it a ping.", "error")
    services.webhook_ping(webhook=webhook, actor=request.user)
    return _after_action(request, webhook, "Ping queued: see the delivery log in a moment.")


@require_GET
def delivery_detail(request, webhook_id: int, delivery_id: int):
    delivery = delivery_for_user(request.user, webhook_id, delivery_id)
    body = json.dumps(delivery.event.payload, indent=2, sort_keys=True)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {"delivery": delivery, "webhook": delivery.webhook, "body": body},
    )

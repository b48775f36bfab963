"""Content-Security-Policy: the header on every page, and nothing in the HTML the app sends
that the policy would block (inline scripts and styles, event attributes, htmx evals).

tests/e2e/test_csp.py checks the same pages in a real browser."""

import json
import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Notification
from pipeline.services import deal_mark_lost, deal_mark_won
from teams.models import PeriodKind, Quota
from tests.activities.factories import make_activity
from tests.factories import make_deal, make_territory

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'"
)


class InlineCode(HTMLParser):
    """Collects every part of a page that a policy without 'unsafe-inline' or
    'unsafe-eval' would block."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attributes.items():
            if name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            elif name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.found.append(f"<{tag} {name}={value!r}>")
            elif name in ("hx-trigger", "data-hx-trigger") and "[" in (value or ""):
                self.found.append(f"<{tag} {name}={value!r}> (a filter needs eval)")
            elif (value or "").strip().lower().startswith(("js:", "javascript:")):
                self.found.append(f"<{tag} {name}={value!r}>")  # hx-vals="js:...", href=...
        if tag == "style":
            self.found.append("<style> element")
        inline = tag == "script" and not attributes.get("src")
        if inline and attributes.get("type") != "application/json":
            self.found.append(f"inline <script {attributes}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_policy_header_is_sent_on_pages(client, cast):
    assert client.get(reverse("login"))["Content-Security-Policy"] == POLICY
    client.force_login(cast.rep_a)
    assert client.get(reverse("pipeline:board-default"))["Content-Security-Policy"] == POLICY


def test_the_checker_finds_what_the_policy_blocks():
    page = """
        <div style="width: 3%"></div><button onclick="go()">x</button>
        <div hx-on:click="go()"></div><div hx-trigger="every 3s [ok()]"></div>
        <script>alert(1)</script><style>p {}</style><a href="javascript:go()">x</a>
        <script src="/static/js/app.js"></script><script type="application/json">{}</script>
    """
    assert len(inline_code(page)) == 7


@pytest.fixture
def busy(cast):
    """Data behind every part of the pages: activities, notifications, closed deals, quotas,
    nested territories (the breakdown indents them)."""
    now = timezone.now()
    make_activity(deal=cast.deal_a, assignee=cast.rep_a, due_at=now - timedelta(days=1))
    make_activity(deal=cast.deal_a, assignee=cast.rep_a, due_at=now + timedelta(days=2))
    Notification.objects.create(recipient=cast.rep_a, deal=cast.deal_a, text="Call: due today")
    stage = cast.pipeline.stages.last()
    won = make_deal(owner=cast.rep_a, stage=stage, title="Won deal")
    deal_mark_won(deal=won, version=won.version, actor=cast.rep_a)
    lost = make_deal(owner=cast.rep_a2, stage=stage, title="Lost deal")
    deal_mark_lost(
        deal=lost, version=lost.version, reason=None, reason_text="Price", actor=cast.rep_a2
    )
    quarter_start = now.date().replace(month=(now.month - 1) // 3 * 3 + 1, day=1)
    Quota.objects.create(
        team=cast.team_a,
        period=PeriodKind.QUARTER,
        period_start=quarter_start,
        amount=Decimal("5000.00"),
    )
    cast.team_b.territory = make_territory("East coast", parent=cast.team_a.territory)
    cast.team_b.save()
    return cast


def pages(cast):
    deal = cast.deal_a.pk
    return [
        ("GET", reverse("pipeline:board-default"), {}),
        ("GET", reverse("pipeline:deal-list"), {}),
        ("GET", reverse("pipeline:deal-detail", args=[deal]), {}),
        ("GET", reverse("pipeline:deal-edit", args=[deal]), {}),
        ("GET", reverse("pipeline:deal-create") + f"?pipeline={cast.pipeline.pk}", {}),
        ("GET", reverse("activities:activity-list"), {}),
        ("GET", reverse("activities:activity-create", args=[deal]), {}),
        ("GET", reverse("activities:notification-list"), {}),
        ("GET", reverse("reporting:dashboard"), {}),
        ("GET", reverse("reporting:dashboard") + "?by=territory", {}),
        ("GET", reverse("profile"), {}),
        ("GET", reverse("password_change"), {}),
        ("GET", reverse("admin:index"), {}),
        ("GET", reverse("admin:pipeline_deal_changelist"), {}),
        ("GET", reverse("admin:pipeline_deal_change", args=[deal]), {}),
        ("GET", reverse("admin:teams_user_change", args=[cast.rep_a.pk]), {}),
        ("GET", reverse("admin:axes_accessattempt_changelist"), {}),
    ]


def test_pages_hold_no_inline_code(client, busy):
    client.force_login(busy.admin)
    for method, url, data in pages(busy):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.generic(method, url, data, headers=headers)
            assert response.status_code == 200, url
            assert inline_code(response.text) == [], url


def test_a_reps_pages_hold_no_inline_code(client, busy):
    client.force_login(busy.rep_a)
    for url in (
        reverse("pipeline:board-default"),
        reverse("pipeline:deal-detail", args=[busy.deal_a.pk]),
        reverse("activities:activity-list"),
        reverse("activities:notification-bell"),
        reverse("reporting:dashboard"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.text) == [], url


def test_login_and_lockout_pages_hold_no_inline_code(client, cast, settings):
    settings.AXES_FAILURE_LIMIT = 1
    assert inline_code(client.get(reverse("login")).text) == []
    locked = client.post(reverse("login"), {"username": "rep_a", "password": "wrong"})
    assert locked.status_code == 429
    assert inline_code(locked.text) == []


def test_htmx_is_configured_for_the_policy(client, cast):
    client.force_login(cast.rep_a)
    page = client.get(reverse("pipeline:board-default")).text
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert config is not None
    assert json.loads(config.group(1)) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "attributesToSettle": ["class", "width", "height"],
        "historyCacheSize": 0,
        "refreshOnHistoryMiss": True,
    }

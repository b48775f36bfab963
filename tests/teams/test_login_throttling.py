"""Login throttling (django-axes): a username is locked out from one address after repeated
failures, and only there; a success starts the count again; an admin unlocks it."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.http import client_ip

ROOT = Path(__file__).resolve().parents[2]
HERE = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


@pytest.fixture(autouse=True)
def throttling(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def log_in(username: str, password: str, *, address: str = HERE, client: Client | None = None):
    client = client or Client()
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response, client


def fail(username: str, times: int, *, address: str = HERE) -> None:
    for _ in range(times):
        response, _client = log_in(username, "wrong", address=address)
        assert response.status_code in (200, 429)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_fifth_failure_locks_that_user_out_from_that_address(cast):
    fail("rep_a", 4)
    response, _client = log_in("rep_a", "wrong")
    assert response.status_code == 429

    response, client = log_in("rep_a", "pw")
    assert response.status_code == 429
    assert not logged_in(client)


def test_four_failures_do_not_lock_out(cast):
    fail("rep_a", 4)
    response, client = log_in("rep_a", "pw")
    assert response.status_code == 302
    assert logged_in(client)


def test_lockout_page_explains_what_happened_in_the_apps_layout(cast):
    fail("rep_a", 5)
    response, _client = log_in("rep_a", "pw")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    text = " ".join(response.text.split())
    assert '<nav class="navbar' in text  # the app's own layout, not a bare error
    assert "Too many failed logins" in text
    assert "as <strong>rep_a</strong> from this address is paused for 15 minutes" in text
    assert "after 5 failed attempts" in text
    assert f'href="{reverse("login")}"' in text


def test_same_user_from_another_address_can_still_log_in(cast):
    fail("rep_a", 5)
    response, client = log_in("rep_a", "pw", address=ELSEWHERE)
    assert response.status_code == 302
    assert logged_in(client)


def test_another_user_from_the_same_address_can_still_log_in(cast):
    fail("rep_a", 5)
    response, client = log_in("rep_a2", "pw")
    assert response.status_code == 302
    assert logged_in(client)


def test_successful_login_starts_the_count_again(cast):
    fail("rep_a", 4)
    response, _client = log_in("rep_a", "pw")
    assert response.status_code == 302
    fail("rep_a", 4)
    response, client = log_in("rep_a", "pw")
    assert response.status_code == 302
    assert logged_in(client)


def test_lockout_ends_after_the_cool_off(cast):
    fail("rep_a", 5)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response, client = log_in("rep_a", "pw")
    assert response.status_code == 302
    assert logged_in(client)


def test_admin_login_page_is_throttled_too(cast):
    fail("admin", 5)
    response = Client().post(
        reverse("admin:login"), {"username": "admin", "password": "pw"}, REMOTE_ADDR=HERE
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.text


def test_admin_unlocks_a_user_in_django_admin(cast, client):
    fail("rep_a", 5)
    attempt = AccessAttempt.objects.get(username="rep_a", ip_address=HERE)
    client.force_login(cast.admin)
    changelist = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert "rep_a" in changelist.text

    response = client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    response, rep_client = log_in("rep_a", "pw")
    assert response.status_code == 302
    assert logged_in(rep_client)


def test_axes_reset_command_unlocks_everyone(cast):
    fail("rep_a", 5)
    fail("rep_b", 5)
    call_command("axes_reset")
    for username in ("rep_a", "rep_b"):
        response, client = log_in(username, "pw")
        assert response.status_code == 302
        assert logged_in(client)


def test_axes_reset_username_unlocks_one_user(cast):
    fail("rep_a", 5)
    fail("rep_b", 5)
    call_command("axes_reset_username", "rep_a")
    assert log_in("rep_a", "pw")[0].status_code == 302
    assert log_in("rep_b", "pw")[0].status_code == 429


def test_tests_that_force_login_are_not_throttled(cast, client):
    fail("rep_a", 5, address="127.0.0.1")
    client.force_login(cast.rep_a)
    assert client.get(reverse("pipeline:deal-list")).status_code == 200


# The client's address -------------------------------------------------------------------


def request_from(rf, remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_without_a_proxy_a_forged_forwarded_for_is_ignored(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from(rf, HERE, forwarded=ELSEWHERE)) == HERE


def test_behind_a_proxy_the_address_it_appended_is_the_clients(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forged the first entry; the proxy appended what it saw.
    assert client_ip(request_from(rf, "10.0.0.2", forwarded=f"{ELSEWHERE}, {HERE}")) == HERE


def test_behind_two_proxies_the_address_the_outer_one_saw_is_the_clients(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    forwarded = f"192.0.2.1, {HERE}, 10.0.0.3"
    assert client_ip(request_from(rf, "10.0.0.2", forwarded=forwarded)) == HERE


def test_behind_a_proxy_a_request_without_forwarded_for_counts_by_its_own_address(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from(rf, HERE)) == HERE


def test_a_malformed_address_is_not_believed(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from(rf, HERE, forwarded="not-an-ip")) is None
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from(rf, "garbage")) is None


def test_lockout_behind_a_proxy_follows_the_forwarded_address(cast, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        Client().post(
            reverse("login"),
            {"username": "rep_a", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=HERE,
        )
    locked = Client().post(
        reverse("login"),
        {"username": "rep_a", "password": "pw"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=HERE,
    )
    assert locked.status_code == 429
    other = Client().post(
        reverse("login"),
        {"username": "rep_a", "password": "pw"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=ELSEWHERE,
    )
    assert other.status_code == 302


def throttling_settings(**env: str) -> dict:
    show = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), "
        "s.AXES_LOCKOUT_PARAMETERS, s.AXES_RESET_ON_SUCCESS, s.TRUSTED_PROXY_COUNT]))"
    )
    names = {"LOGIN_FAILURE_LIMIT", "LOGIN_LOCKOUT_MINUTES", "TRUSTED_PROXY_COUNT"}
    clean = {k: v for k, v in os.environ.items() if k not in names | {"BEHIND_TLS_PROXY"}}
    result = subprocess.run(
        [sys.executable, "-c", show],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "crm.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(
        zip(["limit", "seconds", "by", "reset", "proxies"], json.loads(result.stdout), strict=True)
    )


def test_throttling_defaults_and_environment():
    assert throttling_settings() == {
        "limit": 5,
        "seconds": 900,
        "by": [["username", "ip_address"]],
        "reset": True,
        "proxies": 0,
    }
    configured = throttling_settings(
        LOGIN_FAILURE_LIMIT="8", LOGIN_LOCKOUT_MINUTES="30", BEHIND_TLS_PROXY="1"
    )
    assert (configured["limit"], configured["seconds"], configured["proxies"]) == (8, 1800, 1)
    assert throttling_settings(BEHIND_TLS_PROXY="1", TRUSTED_PROXY_COUNT="2")["proxies"] == 2

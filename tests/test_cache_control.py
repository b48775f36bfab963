"""Nothing a signed-in user is shown is stored by a browser or a proxy: every response to them
says `Cache-Control: no-store` (pages, htmx partials, exports, errors) and varies on the
cookie. Anonymous responses and static files keep their own caching."""

import urllib.request

import pytest
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def varies_on_cookie(response) -> bool:
    return "cookie" in {v.strip().lower() for v in response.get("Vary", "").split(",")}


def assert_private(response) -> None:
    assert {"no-store", "private"} <= cache_control(response), response.get("Cache-Control")
    assert varies_on_cookie(response)


@pytest.mark.parametrize(
    "name, args",
    [
        ("pipeline:board-default", []),
        ("pipeline:deal-list", []),
        ("pipeline:deal-detail", ["deal_a"]),
        ("activities:activity-list", []),
        ("activities:notification-list", []),
        ("reporting:dashboard", []),
        ("profile", []),
        ("password_change", []),
        ("admin:index", []),
    ],
)
def test_pages_for_a_signed_in_user_are_not_stored(client, cast, name, args):
    client.force_login(cast.admin)
    response = client.get(reverse(name, args=[cast.deal(a).pk for a in args]))
    assert response.status_code == 200
    assert_private(response)


def test_htmx_partials_are_not_stored(client, cast):
    client.force_login(cast.rep_a)
    bell = client.get(reverse("activities:notification-bell"), headers={"HX-Request": "true"})
    panel = client.get(
        reverse("activities:deal-panel", args=[cast.deal_a.pk]), headers={"HX-Request": "true"}
    )
    for response in (bell, panel):
        assert response.status_code == 200
        assert_private(response)


def test_the_board_poll_is_not_stored(client, cast):
    client.force_login(cast.rep_a)
    response = client.get(
        reverse("pipeline:board-changes", args=[cast.pipeline.pk]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code in (200, 204)
    assert_private(response)


def test_csv_export_is_not_stored(client, cast):
    client.force_login(cast.manager_a)
    response = client.get(reverse("reporting:breakdown-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert_private(response)


def test_errors_and_redirects_for_a_signed_in_user_are_not_stored(client, cast):
    client.force_login(cast.rep_a)
    not_found = client.get(reverse("pipeline:deal-detail", args=[cast.deal_b.pk]))
    assert not_found.status_code == 404
    assert_private(not_found)
    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert_private(home)


def test_login_page_keeps_djangos_own_never_cache(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    # LoginView's never_cache, untouched by the middleware.
    assert cache_control(response) == {
        "max-age=0",
        "no-cache",
        "no-store",
        "must-revalidate",
        "private",
    }


def test_anonymous_responses_are_left_alone(client, db):
    assert "Cache-Control" not in client.get(reverse("healthz"))
    redirect = client.get(reverse("pipeline:deal-list"))
    assert redirect.status_code == 302
    assert "Cache-Control" not in redirect


@pytest.mark.django_db(transaction=True)
def test_static_files_stay_cacheable_for_a_signed_in_user(client, cast, live_server):
    client.force_login(cast.rep_a)
    session = client.cookies["sessionid"].value
    request = urllib.request.Request(
        live_server.url + static("css/app.css"), headers={"Cookie": f"sessionid={session}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert "no-store" not in (response.headers.get("Cache-Control") or "")

"""The profile page's API tokens: created (secret shown once), listed, revoked."""

import re

import pytest

from api.access import token_for_secret
from api.models import ApiToken

pytestmark = pytest.mark.django_db


def secret_in(html: str) -> str:
    match = re.search(r'value="(crm_[A-Za-z0-9_-]+)"', html)
    assert match, "the new token's secret is on the page"
    return match.group(1)


def test_profile_offers_token_creation(client, cast):
    client.force_login(cast.rep_a)
    page = client.get("/profile/").content.decode()
    assert "API tokens" in page
    assert "You have no API tokens." in page
    assert 'action="/profile/tokens/"' in page


def test_created_token_is_shown_once_and_stored_hashed(client, cast):
    client.force_login(cast.rep_a)
    response = client.post("/profile/tokens/", {"name": "Zapier", "scope": "write"})
    assert response.status_code == 200
    html = response.content.decode()
    secret = secret_in(html)
    assert "Copy it now" in html
    token = ApiToken.objects.get(user=cast.rep_a)
    assert token.name == "Zapier" and token.scope == "write"
    assert secret not in (token.key_hash, token.prefix) and secret.startswith(token.prefix)
    assert token_for_secret(secret) == token
    # The page shown later lists the token by its prefix, never the secret again.
    later = client.get("/profile/").content.decode()
    assert secret not in later
    assert f"{token.prefix}…" in later and "Zapier" in later


def test_token_creation_by_htmx_swaps_only_the_tokens_section(client, cast):
    client.force_login(cast.rep_a)
    response = client.post("/profile/tokens/", {"scope": "read"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="api-tokens"')
    assert "<html" not in html
    secret_in(html)
    assert ApiToken.objects.get(user=cast.rep_a).scope == "read"


def test_bad_scope_is_refused_and_nothing_created(client, cast):
    client.force_login(cast.rep_a)
    response = client.post("/profile/tokens/", {"name": "x" * 300, "scope": "admin"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoked_token_stops_working(client, cast):
    client.force_login(cast.rep_a)
    secret = secret_in(client.post("/profile/tokens/", {"scope": "read"}).content.decode())
    token = ApiToken.objects.get()
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/deals", headers=auth).status_code == 200
    response = client.post(f"/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/profile/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/deals", headers=auth).status_code == 401
    assert "You have no API tokens." in client.get("/profile/").content.decode()


def test_revoke_by_htmx_rerenders_the_section(client, cast):
    client.force_login(cast.rep_a)
    client.post("/profile/tokens/", {"name": "Old", "scope": "read"})
    token = ApiToken.objects.get()
    response = client.post(f"/profile/tokens/{token.pk}/revoke/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "You have no API tokens." in html


def test_nobody_revokes_someone_elses_token(client, cast):
    client.force_login(cast.rep_a)
    client.post("/profile/tokens/", {"scope": "read"})
    token = ApiToken.objects.get()
    for name in ("rep_b", "manager_a", "admin"):
        client.force_login(cast.user(name))
        assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("token_id", ["99999999999999999999999", "0"])
def test_revoke_bad_ids_are_404(client, cast, token_id):
    client.force_login(cast.rep_a)
    assert client.post(f"/profile/tokens/{token_id}/revoke/").status_code == 404


def test_token_pages_need_login_and_post(client, cast):
    response = client.post("/profile/tokens/", {"scope": "read"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(cast.rep_a)
    assert client.get("/profile/tokens/").status_code == 405
    assert not ApiToken.objects.exists()

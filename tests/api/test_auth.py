"""Token authentication: only a valid, unrevoked Bearer token of an active user gets in."""

import pytest
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.services import token_create, token_revoke

pytestmark = pytest.mark.django_db


def assert_401(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert "Bearer" in body["detail"] and body["errors"] == []


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic cmVwX2E6cHc=",
        "Token crm_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "Bearer crm_short",
        "Bearer crm_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",  # well formed, unknown
        "Bearer crm_²²²²²²²²²²²²²²²²²²²²²²²²",
        "Bearer " + "x" * 5000,
        "Bearer crm_abcdefghijklmnopqrstuvwxyz\x00",
    ],
)
def test_missing_malformed_or_unknown_token_is_401(client, cast, header):
    headers = {} if header is None else {"Authorization": header}
    assert_401(client.get("/api/v1/deals", headers=headers))


def test_revoked_token_is_401(client, cast):
    token, raw = token_create(user=cast.rep_a, scope="write")
    token_revoke(token=token, actor=cast.rep_a)
    assert_401(client.get("/api/v1/deals", headers={"Authorization": f"Bearer {raw}"}))


def test_token_of_deactivated_user_is_401(client, cast):
    _, raw = token_create(user=cast.rep_a)
    cast.rep_a.is_active = False
    cast.rep_a.save()
    assert_401(client.get("/api/v1/deals", headers={"Authorization": f"Bearer {raw}"}))


def test_a_session_does_not_authenticate_the_api(client, cast):
    client.force_login(cast.admin)
    assert_401(client.get("/api/v1/deals"))


def test_pages_still_need_a_login_even_with_a_token(client, cast):
    _, raw = token_create(user=cast.admin, scope="write")
    response = client.get("/pipeline/", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_writes_need_no_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    _, raw = token_create(user=cast.rep_a, scope="write")
    response = client.post(
        f"/api/v1/deals/{cast.deal_a.pk}/notes",
        data={"body": "From a script"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 201


def test_use_is_remembered_to_the_minute(client, cast, time_machine):
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    token, raw = token_create(user=cast.rep_a)
    headers = {"Authorization": f"Bearer {raw}"}
    assert token.last_used_at is None
    client.get("/api/v1/deals", headers=headers)
    token.refresh_from_db()
    assert token.last_used_at == timezone.now()
    time_machine.move_to("2026-03-02 10:00:30Z", tick=False)
    client.get("/api/v1/deals", headers=headers)
    token.refresh_from_db()
    assert token.last_used_at.second == 0  # not stamped again within the minute
    time_machine.move_to("2026-03-02 10:05:00Z", tick=False)
    client.get("/api/v1/deals", headers=headers)
    token.refresh_from_db()
    assert token.last_used_at == timezone.now()


def test_only_the_hash_is_stored(cast):
    _, raw = token_create(user=cast.rep_a, name="  Script  ")
    stored = ApiToken.objects.values().get()
    assert raw not in {str(value) for value in stored.values()}
    assert stored["name"] == "Script"
    assert len(stored["key_hash"]) == 64


def test_docs_and_schema_need_no_token(client, db):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_api_answers_are_never_cached(api_as, anonymous_api, cast):
    for response in (
        api_as("rep_a").get(f"/api/v1/deals/{cast.deal_a.pk}"),
        api_as("rep_a").get("/api/v1/deals/987654"),
        anonymous_api.get("/api/v1/deals"),
    ):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]

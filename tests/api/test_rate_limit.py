"""Requests per token per minute: over API_RATE_LIMIT the answer is 429 with Retry-After."""

import pytest
from django.core.cache.backends.redis import RedisCache

from notes.models import Note

pytestmark = pytest.mark.django_db


def test_over_the_limit_is_429_until_the_next_minute(api_as, cast, settings, time_machine):
    settings.API_RATE_LIMIT = 3
    time_machine.move_to("2026-03-02 10:00:15Z", tick=False)
    api = api_as("rep_a")
    assert [api.get("/api/v1/deals").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/api/v1/deals")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert "3 a minute" in refused.json()["detail"]
    # Another token (even of the same user) counts on its own.
    assert api_as("rep_a", scope="read").get("/api/v1/deals").status_code == 200
    time_machine.move_to("2026-03-02 10:01:00Z", tick=False)
    assert api.get("/api/v1/deals").status_code == 200


def test_refused_requests_change_nothing(api_as, cast, settings):
    settings.API_RATE_LIMIT = 1
    api = api_as("rep_a")
    api.get("/api/v1/deals")
    response = api.post(f"/api/v1/deals/{cast.deal_a.pk}/notes", {"body": "Too many"})
    assert response.status_code == 429
    assert not Note.objects.filter(deal=cast.deal_a).exists()


def test_zero_turns_the_limit_off(api_as, cast, settings):
    settings.API_RATE_LIMIT = 0
    api = api_as("rep_a")
    assert {api.get("/api/v1/pipelines").status_code for _ in range(5)} == {200}


def test_counts_live_in_redis_when_configured(api_as, cast, settings, redis_url):
    # Changing CACHES makes Django open the new cache (django.test.signals).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    assert isinstance(_default_cache(), RedisCache)
    settings.API_RATE_LIMIT = 2
    api = api_as("rep_b")
    codes = [api.get("/api/v1/deals").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def _default_cache():
    from django.core.cache import caches

    return caches["default"]

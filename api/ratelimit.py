"""Requests per token per minute (API_RATE_LIMIT), counted in the cache.

A fixed window: the first request of a minute starts the count, which expires with the
minute. The cache is Redis when REDIS_URL is set (shared by every process), local memory
otherwise (per process: fine for one `runserver`).
"""

import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__("Too many requests: wait before trying again.")
        self.retry_after = retry_after


def check_rate(key: str, *, now: float | None = None) -> None:
    """Count one request for `key`; RateLimited when over the limit of this window."""
    limit = settings.API_RATE_LIMIT
    if limit <= 0:
        return
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    cache_key = f"api-rate:{key}:{window}"
    if cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 5):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
    if count > limit:
        raise RateLimited(retry_after=max(1, (window + 1) * WINDOW_SECONDS - int(now)))

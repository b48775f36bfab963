"""Keyset pagination: a page ends with an opaque cursor naming the last row it showed.

The next page continues strictly after that row in the list's order (newest id first), so
pages stay consistent while rows are added, and each page is one indexed range read however
deep the client goes (no OFFSET).
"""

import base64
import binascii

from crm.http import parse_id

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class BadCursor(ValueError):
    pass


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor continues after; BadCursor for anything we did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeError) as error:
        raise BadCursor("The cursor is not one this API gave out.") from error
    kind, _, value = text.partition(":")
    last_id = parse_id(value)
    if kind != "id" or last_id is None:
        raise BadCursor("The cursor is not one this API gave out.")
    return last_id


def page_of(rows, *, cursor: str | None, limit: int) -> dict:
    """One page of `rows` (a queryset), newest id first, after `cursor`."""
    if cursor:
        rows = rows.filter(pk__lt=decode_cursor(cursor))
    items = list(rows.order_by("-pk")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return {
        "results": items,
        "next_cursor": encode_cursor(items[-1].pk) if more and items else None,
    }

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


def page_of(rows, *, cursor: str | None, limit: int, fields: list[str] | None = None) -> dict:
    """One page of `rows` (a queryset), newest id first, after `cursor`.

    With `fields` (an output schema's, named as the model's columns), the rows are read as
    dicts of those columns only, without building model instances.
    """
    if cursor:
        rows = rows.filter(pk__lt=decode_cursor(cursor))
    rows = rows.order_by("-pk")
    if fields is not None:
        rows = rows.values(*fields)
    items = list(rows[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    last_id = (items[-1]["id"] if fields is not None else items[-1].pk) if items else None
    return {
        "results": items,
        "next_cursor": encode_cursor(last_id) if more and last_id is not None else None,
    }

import re
from urllib.parse import urlencode

from django import template

from contacts.queries import ListPage

register = template.Library()

_NOT_DIALLED = re.compile(r"[^0-9+*#]")


@register.filter
def tel_href(phone: str) -> str:
    """A phone number as a tel: link dials it: digits and + only (and * # for extensions)."""
    return _NOT_DIALLED.sub("", phone or "")


@register.filter
def next_page_query(page: ListPage) -> str:
    """The query string of the page after `page`: the same filters and its cursor."""
    return urlencode(page.filters.query(after=page.next_cursor))


@register.filter
def list_query(page: ListPage) -> str:
    """The query string of `page`'s filters, without a cursor."""
    return urlencode(page.filters.query())

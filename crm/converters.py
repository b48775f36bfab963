"""The `<id:...>` path converter: every URL that names a row by its id uses it.

Django's `<int:...>` takes any run of digits, and a 30-digit one overflows the BIGINT column
it is compared with (OverflowError on SQLite, DataError on PostgreSQL). This one matches 1 to
MAX_ID only; anything else is not a URL of ours (404).
"""

from django.urls import register_converter

from crm.http import MAX_ID, parse_id


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(f"{value} is not an id")  # the URL does not match
        return number

    def to_url(self, value: int) -> str:
        if not 1 <= int(value) <= MAX_ID:
            raise ValueError(f"{value} is not an id")
        return str(int(value))


register_converter(IdConverter, "id")

"""Single-line text: what a title, a subject or a name may hold.

A line break in a deal title would end up in a reminder e-mail's Subject header (where Django
refuses it, so the e-mail would never go out), in CSV exports and in one-line UI. Forms refuse
control characters in every single-line field; the importer and e-mail subjects, which cannot
ask the user, fold them into spaces.
"""

import re

from django.core.exceptions import ValidationError

# C0 and C1 control characters (tab, CR, LF, NUL, ESC...), DEL, and Unicode's line and
# paragraph separators.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SINGLE_LINE_MESSAGE = "Use a single line, without line breaks, tabs or other control characters."


def validate_single_line(value: str) -> None:
    """Refuse text holding a line break or another control character (a field validator)."""
    if value and CONTROL_CHARACTERS.search(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


def single_line(value: str) -> str:
    """`value` with each run of control characters (line breaks, tabs...) turned into one space."""
    return re.sub(" {2,}", " ", CONTROL_CHARACTERS.sub(" ", value)).strip() if value else value


def search_text(value: str | None, limit: int = 100) -> str:
    """Words typed into a search box, on one line and at most `limit` characters: a NUL byte,
    which no PostgreSQL text may hold, never reaches a query."""
    return single_line(value or "")[:limit]

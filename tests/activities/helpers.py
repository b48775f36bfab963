"""Small helpers shared by the activity view tests."""

import json

HTMX = {"HX-Request": "true"}


def toast_message(response) -> str | None:
    """The message of the "toast" event an htmx response triggers, if any."""
    header = response.headers.get("HX-Trigger")
    if not header:
        return None
    return json.loads(header).get("toast", {}).get("message")


def is_fragment(response) -> bool:
    """True for a partial (what htmx swaps), False for a whole page."""
    return "<html" not in response.text and "<nav" not in response.text.split("<section", 1)[0]

"""Notes are plain text shown as Markdown, sanitised: the one place user text becomes HTML.

Raw HTML in a note is never passed through: Markdown's HTML parsing is switched off, so
`<script>` is shown as text, and nh3 (an allowlist sanitiser) then keeps only the tags and
attributes below. Links may only be http(s) or mailto and get rel="nofollow noopener
noreferrer"; images are never shown (they would load from other hosts): `![alt](url)`
stays as written.
"""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _converter() -> markdown.Markdown:
    converter = markdown.Markdown(extensions=["sane_lists", "nl2br"], output_format="html")
    # Raw HTML (blocks and inline tags) is text, not markup.
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    # No images: `![alt](url)` stays text.
    converter.inlinePatterns.deregister("image_link")
    converter.inlinePatterns.deregister("image_reference")
    converter.inlinePatterns.deregister("short_image_ref")
    return converter


def render_markdown(text: str) -> SafeString:
    """A note's text as safe HTML."""
    converter = _converter()  # not shared: a Markdown instance keeps state between calls
    html = nh3.clean(
        converter.convert(text),
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    # nh3 has removed every tag and attribute not on the allowlists above.
    return mark_safe(html)

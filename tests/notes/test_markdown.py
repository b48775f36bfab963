"""Notes are shown as Markdown, sanitised: no raw HTML, no scripts, no remote images."""

from html.parser import HTMLParser

import pytest

from notes.markdown import ATTRIBUTES, TAGS, render_markdown


class Elements(HTMLParser):
    """The elements and attributes of an HTML fragment (text is not markup)."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def test_markdown_formats_text_lists_and_links():
    html = render_markdown(
        "**Budget** agreed\nnext line\n\n- one\n- two\n\n[offer](https://example.com/o)"
    )
    assert "<strong>Budget</strong> agreed<br>" in html
    assert "<li>one</li>" in html and "<li>two</li>" in html
    assert '<a href="https://example.com/o" rel="nofollow noopener noreferrer">offer</a>' in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="https://x" onclick="steal()">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![tracker](https://evil.example/pixel.png)",
        "![tracker][1]\n\n[1]: https://evil.example/pixel.png",
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<div style="position:fixed">x</div>',
        '[x](https://a.example "t" onmouseover=alert(1))',
        "<svg><script>alert(1)</script></svg>",
        "<!-- <script>alert(1)</script> -->",
        "<a href='javascript:alert(1)'>x</a>",
        "[x](&#106;avascript:alert(1))",
    ],
)
def test_xss_payloads_come_out_as_harmless_markup(payload):
    html = render_markdown(payload)
    for tag, attributes in Elements(html).found:
        assert tag in TAGS, html
        assert set(attributes) <= ATTRIBUTES.get(tag, set()) | {"rel"}, html
        href = attributes.get("href") or ""
        assert href == "" or href.startswith(("https://", "http://", "mailto:")), html
    assert "<img" not in html and "<script" not in html


def test_raw_html_is_shown_as_text():
    assert render_markdown("<b>bold?</b>") == "<p>&lt;b&gt;bold?&lt;/b&gt;</p>"


def test_code_keeps_angle_brackets_as_text():
    assert "<code>&lt;b&gt;</code>" in render_markdown("`<b>`")


def test_links_of_allowed_schemes_only():
    assert 'href="mailto:ana@example.com"' in render_markdown("[mail](mailto:ana@example.com)")
    assert "href" not in render_markdown("[x](ftp://files.example/a)")

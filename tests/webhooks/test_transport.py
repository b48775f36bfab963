"""The SSRF guard: only http(s) to public addresses, checked with the address connected to."""

import socket

import pytest

from webhooks import transport
from webhooks.transport import TargetRefused, check_url, post

REAL_GETADDRINFO = socket.getaddrinfo


def resolving(monkeypatch, names: dict[str, list[str]]):
    """Make these host names resolve to these addresses (others resolve as usual)."""

    def fake(host, port, *args, **kwargs):
        if host in names:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in names[host]
            ]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(transport.socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.1.2.3:8080/", "loopback"),
        ("http://localhost/", "loopback"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 as one decimal number
        ("http://0177.0.0.1/", "loopback"),  # octal
        ("http://0x7f.0.0.1/", "loopback"),  # hexadecimal
        ("http://[::1]/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://172.16.0.9/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[fc00::1]/", "private"),
        ("http://[fd12:3456::1]/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
        ("http://[::ffff:93.184.216.34]/", "IPv4-mapped"),
        ("http://[64:ff9b::7f00:1]/", "tunnels to IPv4"),
        ("http://100.64.0.1/", "not public"),  # carrier-grade NAT
    ],
)
def test_addresses_that_are_not_public_are_refused(url, reason, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(TargetRefused, match=reason):
        check_url(url)


def test_a_name_that_resolves_to_loopback_is_refused(monkeypatch, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    resolving(monkeypatch, {"innocent.example.com": ["127.0.0.1"]})
    with pytest.raises(TargetRefused, match=r"innocent\.example\.com is a loopback address"):
        check_url("https://innocent.example.com/hook")


def test_one_private_address_among_a_names_addresses_is_enough_to_refuse(monkeypatch, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    resolving(monkeypatch, {"mixed.example.com": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(TargetRefused, match="private"):
        check_url("https://mixed.example.com/")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "example.com/hook",
        "//example.com/hook",
        "",
    ],
)
def test_only_http_and_https_are_accepted(url):
    with pytest.raises(TargetRefused, match=r"http://|host name"):
        check_url(url)


def test_credentials_in_the_url_are_refused():
    with pytest.raises(TargetRefused, match="user name or password"):
        check_url("https://user:secret@93.184.216.34/")


def test_a_malformed_port_or_unresolvable_host_is_refused(monkeypatch):
    with pytest.raises(TargetRefused, match="not a valid URL"):
        check_url("https://example.com:99999/")
    resolving(monkeypatch, {})
    with pytest.raises(TargetRefused, match="cannot be resolved"):
        check_url("https://does-not-exist.invalid/")


def test_a_public_address_is_accepted_and_pinned(monkeypatch, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    resolving(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    target = check_url("https://hooks.example.com:8443/in?x=1")
    assert (target.scheme, target.host, target.port, target.address, target.path) == (
        "https",
        "hooks.example.com",
        8443,
        "93.184.216.34",
        "/in?x=1",
    )
    assert target.host_header == "hooks.example.com:8443"
    assert check_url("http://93.184.216.34").host_header == "93.184.216.34"


def test_the_setting_allows_private_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert check_url("http://127.0.0.1:9000/").address == "127.0.0.1"


def test_post_connects_to_the_address_it_checked_with_the_name_as_host(
    monkeypatch, receiver, private_targets
):
    """Resolved once: the connection goes to that address, whatever the name says later."""
    port = receiver.server.server_address[1]
    answers = iter([["127.0.0.1"], ["93.184.216.34"]])

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(transport.socket, "getaddrinfo", rebinding)
    response = post(f"http://rebind.example.com:{port}/hook", body=b"{}", headers={})
    assert response.status == 200
    assert receiver.requests[0].headers["Host"] == f"rebind.example.com:{port}"


def test_post_refuses_without_connecting_when_the_name_now_points_inside(
    monkeypatch, receiver, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    resolving(monkeypatch, {"rebind.example.com": ["127.0.0.1"]})
    port = receiver.server.server_address[1]
    response = post(f"http://rebind.example.com:{port}/", body=b"{}", headers={})
    assert response.status is None and "loopback" in response.error
    assert receiver.requests == []


def test_a_slow_receiver_is_cut_off_at_the_total_timeout(monkeypatch, receiver, private_targets):
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 0.5)
    receiver.answer = lambda delivery_id, count: (200, 3)
    response = post(receiver.url, body=b"{}", headers={})
    assert response.status is None
    assert "0 s" in response.error or "Timed out" in response.error
    assert response.duration < 2.5


def test_only_the_first_kilobytes_of_the_answer_are_read(monkeypatch, private_targets):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Big(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 100_000)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Big)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        response = post(f"http://127.0.0.1:{server.server_address[1]}/", body=b"{}", headers={})
    finally:
        server.shutdown()
        server.server_close()
    assert response.status == 200
    assert len(response.body) == transport.RESPONSE_LIMIT

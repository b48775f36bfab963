"""Where a webhook may send, and the one function that sends: the SSRF guard and the POST.

A target is checked when a webhook is registered (the form) and again at every delivery,
and the delivery connects to the very address it checked: the host name is resolved once,
every address it resolves to must be public, and the connection goes to that address with
the original name in the `Host` header and in TLS (SNI and certificate check). So a name
that resolves to a public address when checked and to 127.0.0.1 a moment later (DNS
rebinding) cannot reach the inside. Host names are resolved by the system resolver, which
also reads the odd spellings of an address (`2130706433`, `0177.0.0.1`, `0x7f.1`): whatever
it makes of a name is what gets checked.

urllib3 (not httpx): its `HTTPSConnection` takes the address to connect to and the name to
verify separately (`server_hostname`, `assert_hostname`), follows no redirect, retries
nothing and reads only what is asked, with no dependency of its own; httpx would need a
custom transport for the same pinning and brings five packages.
"""

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError

CONNECT_TIMEOUT = 3.0  # seconds to open the connection (and TLS handshake)
TOTAL_TIMEOUT = 10.0  # seconds for the whole exchange, whatever the receiver does
RESPONSE_LIMIT = 4096  # bytes of the response body kept for the delivery log
ALLOWED_SCHEMES = ("http", "https")

# Prefixes that translate to IPv4 addresses somewhere else (NAT64), checked like IPv4.
NAT64 = [ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48")]


class TargetRefused(Exception):
    """The URL is not one a webhook may send to; the message says why, for the user."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to call it (`host`)."""

    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def address_refusal(address: str) -> str | None:
    """Why a webhook may not send to this IP address (None: it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        if ip.sixtofour is not None or ip.teredo is not None or any(ip in n for n in NAT64):
            return "an IPv6 address that tunnels to IPv4"
    checks = [
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "a site-local address"),
        (not ip.is_global, "an address that is not public"),
    ]
    return next((reason for refused, reason in checks if refused), None)


def check_url(url: str) -> Target:
    """Parse and check a webhook URL, resolving its host; raises TargetRefused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"This is not a valid URL ({error}).") from error
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise TargetRefused("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host name.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Put no user name or password in the URL; verify the signature.")
    host = parts.hostname
    port = port or (443 if scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused(f"The host name {host} cannot be resolved.") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise TargetRefused(f"The host name {host} cannot be resolved.")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            reason = address_refusal(address)
            if reason is not None:
                raise TargetRefused(
                    f"{host} is {reason} ({address}); webhooks only go to public addresses."
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, address=addresses[0], path=path)


@dataclass(frozen=True)
class Response:
    """What the receiver answered, or why there was no answer (`status` None)."""

    status: int | None
    body: str
    error: str
    duration: float


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to `url` once: checked again, pinned to the checked address, no redirect,
    CONNECT_TIMEOUT to connect and TOTAL_TIMEOUT in all; never raises for a network error."""
    started = time.monotonic()

    def answer(status: int | None, text: str = "", error: str = "") -> Response:
        return Response(status, text, error, time.monotonic() - started)

    try:
        target = check_url(url)
    except TargetRefused as refusal:
        return answer(None, error=str(refusal))
    connection: HTTPConnection
    if target.scheme == "https":
        connection = HTTPSConnection(
            target.address,
            target.port,
            timeout=CONNECT_TIMEOUT,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs=ssl.CERT_REQUIRED,
        )
    else:
        connection = HTTPConnection(target.address, target.port, timeout=CONNECT_TIMEOUT)
    # A receiver that trickles its answer byte by byte must not hold the worker: at the
    # deadline the socket is shut down, which ends any read in progress.
    deadline = threading.Timer(TOTAL_TIMEOUT, _shut, args=(connection,))
    deadline.daemon = True
    deadline.start()
    try:
        connection.connect()
        # Each read may then wait what is left of the total (urllib3 applies it per read).
        connection.timeout = max(0.1, TOTAL_TIMEOUT - (time.monotonic() - started))
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header, "Content-Length": str(len(body))},
            # Read no more of the answer than the log keeps, and store it as it came.
            preload_content=False,
            decode_content=False,
        )
        response = connection.getresponse()
        text = response.read(RESPONSE_LIMIT).decode("utf-8", errors="replace")
        return answer(response.status, text)
    except (OSError, HTTPError, ssl.SSLError) as error:
        if time.monotonic() - started >= TOTAL_TIMEOUT:
            return answer(None, error=f"No answer within {TOTAL_TIMEOUT:.0f} s.")
        return answer(None, error=_describe(error))
    finally:
        deadline.cancel()
        connection.close()


def _shut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _describe(error: BaseException) -> str:
    text = str(error) or error.__class__.__name__
    if isinstance(error, TimeoutError | socket.timeout) or "timed out" in text:
        return f"Timed out: {text}"[:500]
    return f"{error.__class__.__name__}: {text}"[:500]

"""Webhook test helpers: a local HTTP receiver, and webhooks allowed to reach it."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.models import Event, Webhook


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers what `answer` says."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    # (status, delay in seconds) for a delivery id and its n-th arrival; default 200 at once.
    answer: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def arrivals(self, delivery_id: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r.headers["X-CRM-Delivery"] == delivery_id)


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.requests.append(Received(dict(self.headers.items()), body))
                count = sum(
                    1
                    for r in receiver.requests
                    if r.headers.get("X-CRM-Delivery") == self.headers.get("X-CRM-Delivery")
                )
            status, delay = (200, 0.0)
            if callable(receiver.answer):
                status, delay = receiver.answer(self.headers.get("X-CRM-Delivery"), count)
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"not now")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the worker was killed or timed out while waiting: what the test wants

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server=server)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return receiver


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def private_targets(settings):
    """The test receiver runs on 127.0.0.1, which only this setting lets webhooks reach."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


def make_webhook(owner, *, url="https://hooks.example.com/crm", events=None, **extra) -> Webhook:
    return Webhook.objects.create(
        owner=owner, url=url, events=list(events or Event.values), **extra
    )


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """The README's verification, written out independently of webhooks.services.sign."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - timestamp) < tolerance

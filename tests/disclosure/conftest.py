"""Disclosure fixtures: notices published through the service, a real SMTP server process
(aiosmtpd) and a real HTTP webhook receiver on loopback."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import mailbox
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from tests.tendering.conftest import tw  # noqa: F401  # the published-ready tender fixture

from ggzy import clock
from ggzy.disclosure.models import Notice
from ggzy.disclosure.services import notice_publish

_counter = iter(range(1, 10**9))


def publish(**overrides: Any) -> Notice:
    """A notice through ``notice_publish`` (inside a transaction, as a source app would)."""
    n = next(_counter)
    data: dict[str, Any] = {
        "actor": "system:test",
        "key": f"test:{n}",
        "trade_type": "works.open",
        "stage": "tender_announcement",
        "region_code": "620402",
        "title": f"测试公告{n}",
        "body_html": "<p>正文</p>",
        "subject_code": f"S{n:06d}",
        "project_code": f"P{n:06d}",
        "source_app": "test",
        "published_at": clock.now() - dt.timedelta(minutes=1),
    }
    data.update(overrides)
    with transaction.atomic():
        return notice_publish(**data)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpServer:
    port: int
    maildir: Path

    def messages(self) -> list[Message]:
        return list(mailbox.Maildir(self.maildir, create=False))

    def wait(self, count: int, timeout: float = 10.0) -> list[Message]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.messages()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"expected {count} mails, got {len(self.messages())}")


@pytest.fixture
def smtp(tmp_path: Path, settings: Any) -> Iterator[SmtpServer]:
    """``python -m aiosmtpd`` as a separate process, delivering into a Maildir."""
    port = free_port()
    maildir = tmp_path / "maildir"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(maildir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        end = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > end or proc.poll() is not None:
                    raise RuntimeError("aiosmtpd did not start") from None
                time.sleep(0.05)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.DEFAULT_FROM_EMAIL = "noreply@ggzy.test"
        yield SmtpServer(port, maildir)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


@dataclass
class Receiver:
    url: str
    fail_first: int
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Any]:
    """An HTTP server on loopback that answers 500 to the first N posts, then 204."""
    state = Receiver(url="", fail_first=1)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                state.requests.append({"headers": dict(self.headers.items()), "body": body})
                failing = len(state.requests) <= state.fail_first
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def loads(body: bytes) -> Any:
    return json.loads(body.decode())

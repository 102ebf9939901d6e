"""Fixtures for project entry: the rules the services need, a fake source platform."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.projects.helpers import TOKEN, Platform


@pytest.fixture
def rules_loaded(world: Any) -> None:
    """The catalogue and rule sets tender_project_create/section_create look up."""
    from django.core.management import call_command

    call_command("rules", "load", "--as", world.staff.username, verbosity=0)


@pytest.fixture
def platform() -> Iterator[tuple[Platform, str]]:
    state_ = Platform()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path
            state_.hits[path] += 1
            state_.auth[path] = self.headers.get("Authorization", "")
            time.sleep(state_.delay.get(path, 0))
            if path.startswith("/private") and state_.auth[path] != f"Bearer {TOKEN}":
                status, body, ctype = 401, b'{"error":"unauthorized"}', "application/json"
            elif path in state_.fail_first and state_.hits[path] == 1:
                status, body, ctype = 500, b"busy", "text/plain"
            else:
                status, body, ctype = state_.pages.get(path, (404, b"", "text/plain"))
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", body.decode())
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state_, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

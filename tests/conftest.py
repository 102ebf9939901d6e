"""Shared fixtures: a small world with one person in every role."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.factories import PASSWORD, make_world

from ggzy import clock

# GGZY_TEST_NOW=2026-09-30T23:50+08:00 runs the suite as if it were that moment, the clock
# ticking on from there. Periods counted in days run on past weekends and holidays
# (民法典第二百零三条), so a test that adds "21 days" can pass on one day and fail the next;
# README.md says how to use it.
if os.environ.get("GGZY_TEST_NOW"):
    _moment = dt.datetime.fromisoformat(os.environ["GGZY_TEST_NOW"])
    if _moment.tzinfo is None:
        raise pytest.UsageError("GGZY_TEST_NOW needs an offset, e.g. 2026-09-29T23:50+08:00")
    _offset = _moment - dt.datetime.now(dt.UTC)
    _real_now = clock.now

    def _shifted_now() -> dt.datetime:
        at = _real_now()
        return at if clock._frozen is not None else at + _offset

    clock.now = _shifted_now


@pytest.fixture(autouse=True)
def _fast_hashes_and_tmp_media(settings: Any, tmp_path: Path) -> None:
    # Argon2 is asserted by tests/accounts/test_passwords.py; elsewhere hashing only slows tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class World:
    staff: Any
    regulator: Any
    tenderer: Any
    agency: Any
    bidder: Any
    expert: Any
    public: Any
    centre: Any
    department: Any
    tenderer_org: Any
    bidder_org: Any
    agency_org: Any

    def user(self, role: str) -> Any:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def world(request: pytest.FixtureRequest) -> World:
    # Tests over real HTTP (live_server) need committed rows: use a transactional database.
    live = "live_server" in request.fixturenames
    request.getfixturevalue("transactional_db" if live else "db")
    return World(**make_world())


class Api:
    """A real HTTP client for the JSON API of a live server."""

    def __init__(self, base: str, token: str | None = None) -> None:
        import requests

        self.base = base.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method: str) -> Any:
        def call(path: str, **kwargs: Any) -> Any:
            return self.http.request(method.upper(), self.base + path, timeout=30, **kwargs)

        return call


@pytest.fixture
def api_as(live_server: Any, world: World) -> Any:
    """``api_as("bidder")`` → an API client holding a token with all of that user's scopes."""
    from ggzy.accounts import services
    from ggzy.accounts.permissions import user_permissions

    def make(role: str) -> Api:
        user = world.user(role)
        if user is None:
            return Api(live_server.url)
        scopes = sorted(p.value for p in user_permissions(user))
        _token, raw = services.token_create(actor=user, name=f"test-{role}", scopes=scopes)
        return Api(live_server.url, raw)

    return make


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def today() -> dt.date:
    from ggzy.registry.services import _local_today

    return _local_today()


@pytest.fixture(autouse=True)
def _ledger_unlocked_for_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """Transactional tests empty the database afterwards with DELETE (SQLite); the ledger's
    append-only triggers would refuse that, so unlock them just for the flush."""
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and bool(marker.kwargs.get("transaction"))
    if "live_server" not in names and "transactional_db" not in names and not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DELETE FROM ledger_maintenance")  # locked while the test runs
    yield
    with connection.cursor() as cur:
        cur.execute("INSERT INTO ledger_maintenance (unlocked) VALUES (1)")


@pytest.fixture(scope="session", autouse=True)
def _no_leftover_connections(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Live-server and browser tests leave pooled connections (CONN_MAX_AGE) in server
    threads; on PostgreSQL they would stop the test database from being dropped."""
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


# --------------------------------------------------------------------------- Chromium
# One Playwright instance for the whole session, shared by every page test wherever it lives
# (two session-scoped instances would collide: the sync API refuses to start inside another's
# event loop).

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian package chromium is not installed (.ci/run installs it)")
    # playwright's sync API runs an event loop; Django's ORM in the test thread is still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield b
        b.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    ctx.set_default_timeout(60_000)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.set_default_timeout(60_000)
    yield ctx.new_page()
    ctx.close()

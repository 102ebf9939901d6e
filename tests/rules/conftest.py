"""Fixtures for the rules tests: the seed catalogue, rule sets and calendar, loaded once per test
through the services (so the ledger fills as in production)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ggzy import clock
from ggzy.rules import services
from ggzy.rules.timecalc import LOCAL_TZ

# A fixed "now" inside the seed rules' lifetime (they take effect 2026-01-01 Beijing time).
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def now() -> Any:
    with clock.frozen(NOW):
        yield NOW


@pytest.fixture
def seeded(world: Any, now: dt.datetime) -> services.LoadReport:
    return services.seed_load(actor=world.staff)

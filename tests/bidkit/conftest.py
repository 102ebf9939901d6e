"""Fixtures for the bid-preparation tool: keys, a package and a sealed envelope on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.bidkit.helpers import Bid, make_bid


@pytest.fixture
def bid(tmp_path: Path) -> Bid:
    return make_bid(tmp_path / "bidder")

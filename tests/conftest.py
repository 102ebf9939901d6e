"""Shared fixtures: a small world with one person in every role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD, make_world


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
def world(db: None) -> World:
    return World(**make_world())


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def today() -> Iterator[dt.date]:
    from ggzy.registry.services import _local_today

    yield _local_today()

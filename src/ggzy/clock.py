"""The one clock (统一时钟). Every service reads time here so tests can move it.

Stored times are UTC; pages render Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(tz=dt.UTC)


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Freeze ``now()`` at ``at`` (tests only)."""
    global _frozen  # noqa: PLW0603 - a module-level override is the point
    if at.tzinfo is None:
        raise ValueError("frozen time must be timezone-aware")
    previous, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = previous


def plausible(value: dt.date) -> bool:
    """Whether a date or time taken from a request is in the range the platform deals in
    (1990–2199): far dates overflow the arithmetic and the databases' time types."""
    return 1990 <= value.year <= 2199

"""Canonical JSON: the one byte encoding that gets hashed and signed.

Keys sorted, no insignificant whitespace, UTF-8 without escaping, and values
restricted to JSON types (Decimal, date/datetime and UUID are turned into
strings first) — close to RFC 8785 for the values this platform produces.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from decimal import Decimal
from typing import Any


def _normalise(value: Any) -> Any:  # noqa: PLR0911 - one branch per JSON type
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 1000.500000 -> "1000.5", 1E+3 -> "1000"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be canonicalised")
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("NaN and infinities are not canonical JSON")
        return value
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


def normalise(value: Any) -> Any:
    """``value`` with JSON types only, exactly as ``canonical_json`` encodes it."""
    return _normalise(value)


def encode_normalised(value: Any) -> bytes:
    """Canonical bytes of a value already passed through ``normalise``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def canonical_json(value: Any) -> bytes:
    return encode_normalised(_normalise(value))

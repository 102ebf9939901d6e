"""Webhook signatures (pure, no Django): ``X-Ggzy-Signature: sha256=<hex>`` is
HMAC-SHA256(secret, ``<timestamp>.<body>``) and ``X-Ggzy-Timestamp`` the Unix time in seconds.
A receiver recomputes it with its secret, compares in constant time and refuses timestamps
older than a few minutes (replay)."""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Ggzy-Timestamp"
SIGNATURE_HEADER = "X-Ggzy-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature or "")

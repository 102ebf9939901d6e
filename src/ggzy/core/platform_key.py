"""The platform's Ed25519 signing key (平台签名密钥).

Used to sign documents other platforms must be able to trust offline, such as
the public profile of a market entity (一网注册、全省通用). The key comes from
``GGZY_PLATFORM_KEY`` (base64 of the 32-byte seed) or is created in the data
directory on first use.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from ggzy.core.canonical import canonical_json
from ggzy.core.secrets import load_or_create_secret

ALGORITHM = "Ed25519"


@lru_cache(maxsize=1)
def _private_key() -> Ed25519PrivateKey:
    raw = settings.GGZY_PLATFORM_KEY
    seed = base64.b64decode(raw) if raw else load_or_create_secret(settings.DATA_DIR, "platform")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes() -> bytes:
    return _private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: bytes | None = None) -> str:
    return hashlib.sha256(public_key or public_key_bytes()).hexdigest()[:16]


def public_key_info() -> dict[str, str]:
    pub = public_key_bytes()
    return {
        "algorithm": ALGORITHM,
        "key_id": key_id(pub),
        "public_key": base64.b64encode(pub).decode(),
        "platform": settings.GGZY_PLATFORM_NAME,
        "platform_code": settings.GGZY_PLATFORM_CODE,
    }


def sign_document(body: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"document": body, "signature": {...}}`` signed over canonical JSON of body."""
    signature = _private_key().sign(canonical_json(body))
    return {
        "document": body,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(),
            "value": base64.b64encode(signature).decode(),
        },
    }


def verify_document(signed: dict[str, Any], public_key: bytes) -> bool:
    """Check a document produced by ``sign_document`` against a platform public key."""
    try:
        sig = base64.b64decode(signed["signature"]["value"], validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            sig, canonical_json(signed["document"])
        )
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False
    return True

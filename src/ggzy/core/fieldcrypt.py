"""Encryption at rest for personal data (个人信息加密存储).

AES-256-GCM under a key derived (HKDF-SHA256) from ``GGZY_FIELD_KEY`` or, when
unset, the key file in the data directory. A separate derived key gives a
keyed blind index (HMAC-SHA256) so an encrypted value can still be looked up
and kept unique without storing it in the clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from ggzy.core.secrets import load_or_create_secret

_VERSION = b"\x01"


@lru_cache(maxsize=1)
def _keys() -> tuple[bytes, bytes]:
    raw = settings.GGZY_FIELD_KEY
    master = base64.b64decode(raw) if raw else load_or_create_secret(settings.DATA_DIR, "field_key")
    if len(master) < 32:
        raise RuntimeError("GGZY_FIELD_KEY must decode to at least 32 bytes")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return derive(b"ggzy field encryption v1"), derive(b"ggzy blind index v1")


def encrypt(plaintext: str, *, context: str) -> bytes:
    """Encrypt ``plaintext``; ``context`` (e.g. the column name) is bound as AAD."""
    nonce = os.urandom(12)
    sealed = AESGCM(_keys()[0]).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return _VERSION + nonce + sealed


def decrypt(blob: bytes, *, context: str) -> str:
    blob = bytes(blob)
    if blob[:1] != _VERSION:
        raise ValueError("unknown field-encryption version")
    nonce, sealed = blob[1:13], blob[13:]
    return AESGCM(_keys()[0]).decrypt(nonce, sealed, context.encode()).decode("utf-8")


def blind_index(value: str, *, context: str) -> str:
    mac = hmac.new(_keys()[1], context.encode() + b"\x00" + value.encode("utf-8"), hashlib.sha256)
    return mac.hexdigest()

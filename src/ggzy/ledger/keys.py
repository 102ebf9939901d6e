"""The log's signing key (日志签名密钥) and its public verifier key.

``GGZY_LOG_KEY`` holds a signed-note signer key (``PRIVATE+KEY+<origin>+...``); when unset, one
is generated for ``GGZY_LOG_ORIGIN`` on first use and kept in ``GGZY_DATA_DIR/keys/log.skey``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from ggzy.crypto import note


def _key_file() -> Path:
    return Path(settings.DATA_DIR) / "keys" / "log.skey"


@lru_cache(maxsize=1)
def signer_key_text() -> str:
    if settings.GGZY_LOG_KEY:
        return str(settings.GGZY_LOG_KEY)
    path = _key_file()
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    skey, _vkey = note.generate_signer_key(settings.GGZY_LOG_ORIGIN)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(skey + "\n")
    return skey


def signer() -> note.Signer:
    return note.parse_signer_key(signer_key_text())


def verifier_key() -> str:
    """The log's public key in signed-note ``vkey`` form (publish this)."""
    s = signer()
    assert isinstance(s, note.Ed25519Signer)
    return s.verifier_key()


def verifier() -> note.Verifier:
    return note.parse_verifier_key(verifier_key())


def origin() -> str:
    return signer().name


def sm2_signer() -> note.Signer | None:
    """The optional SM2-SM3 signer (``GGZY_LOG_SM2_KEY``) adding a 国密 line to checkpoints."""
    if not settings.GGZY_LOG_SM2_KEY:
        return None
    from ggzy.crypto.note_sm2 import SIGNERS

    return note.parse_signer_key(settings.GGZY_LOG_SM2_KEY, extra_algorithms=SIGNERS)


def checkpoint_signers() -> list[note.Signer]:
    extra = sm2_signer()
    return [signer(), *([extra] if extra is not None else [])]

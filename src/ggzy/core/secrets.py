"""Key material kept in the data directory when not given in the environment.

On first start a random key is written with mode 0600; later starts read it back.
Production sets the ``GGZY_*_KEY`` variables from a secret store instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_secret(data_dir: Path, name: str, length: int = 32) -> bytes:
    path = data_dir / "keys" / name
    if path.exists():
        data = path.read_bytes()
        if len(data) != length:
            raise RuntimeError(f"key file {path} has {len(data)} bytes, expected {length}")
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(length)
    # O_EXCL: two processes starting together must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_secret(data_dir, name, length)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    return value

"""Typed parsers for ``GGZY_*`` environment variables that fail fast on bad values.

Every variable read here is documented in ``.env.example``.
"""

from __future__ import annotations

import os
from pathlib import Path


class ConfigError(RuntimeError):
    """A ``GGZY_*`` environment variable holds a value that cannot be used."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true/false)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not an integer") from exc
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw).expanduser().resolve() if raw else default


def env_codes(name: str) -> dict[str, str]:
    """``KEY=value`` pairs separated by commas (``ROLE_TENDERER=01,ROLE_BIDDER=03``): the code
    values a centre confirms for the national data spec's code sets. Keys are upper-case
    identifiers; a pair without ``=``, an empty value or a repeated key is refused."""
    raw = os.environ.get(name, "")
    codes: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value or not key.replace("_", "").isalnum() or key != key.upper():
            raise ConfigError(f"{name}: {item!r} is not KEY=value (KEY in upper case)")
        if key in codes:
            raise ConfigError(f"{name}: {key} is given twice")
        codes[key] = value
    return codes

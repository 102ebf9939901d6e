"""Evidence ledger (区块链存证 + 见证留痕).

``ggzy.ledger.record(event_type, subject, actor, payload)`` is the interface
every service calls inside its transaction. It is loaded lazily so the pure
modules of this package (``merkle``, ``tiles``, ``checkpoint``) import without
Django.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "record":
        from ggzy.ledger.recorder import record

        globals()["record"] = record  # later lookups skip this hook
        return record
    raise AttributeError(name)

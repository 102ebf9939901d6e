"""评标专业分类 (specialty classification) as data: ``data/specialties.json``.

Codes are hierarchical by prefix (``A`` ⊃ ``A01`` ⊃ ``A0101``): a draw line for ``A01``
accepts an expert registered under ``A0102``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "data" / "specialties.json"


@dataclass(frozen=True)
class Specialty:
    code: str
    name: str
    parent: str  # "" for a top-level category

    @property
    def level(self) -> int:
        return 1 if len(self.code) == 1 else 1 + (len(self.code) - 1) // 2


@dataclass(frozen=True)
class Classification:
    version: str
    sha256: str
    items: dict[str, Specialty]

    def known(self, code: str) -> bool:
        return code in self.items

    def path(self, code: str) -> list[Specialty]:
        out: list[Specialty] = []
        while code:
            item = self.items.get(code)
            if item is None:
                break
            out.append(item)
            code = item.parent
        return list(reversed(out))

    def label(self, code: str) -> str:
        return " / ".join(s.name for s in self.path(code)) or code


def _parent(code: str) -> str:
    return "" if len(code) <= 1 else code[:-2] if len(code) > 3 else code[:1]


def parse(raw: bytes) -> Classification:
    """Parse and check a classification file: each code's parent must precede it."""
    data = json.loads(raw)
    items: dict[str, Specialty] = {}
    for row in data["items"]:
        code, name = str(row["code"]), str(row["name"])
        parent = _parent(code)
        if parent and parent not in items:
            raise ValueError(f"specialty {code}: parent {parent} missing")
        if code in items:
            raise ValueError(f"specialty {code} listed twice")
        items[code] = Specialty(code, name, parent)
    return Classification(str(data["version"]), hashlib.sha256(raw).hexdigest(), items)


@lru_cache(maxsize=1)
def classification() -> Classification:
    """The classification in force (loaded once from the app's fixture)."""
    return parse(FIXTURE.read_bytes())

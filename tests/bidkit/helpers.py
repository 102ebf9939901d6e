"""Helpers for the bid-preparation tool tests: keys, a package and an envelope on disk."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ggzy.bidkit.cli import main
from ggzy.crypto.suites import SUITES, PrivateKey

SECTION = "E3100000151008459002001"
BIDDER = "91110000600037341L"
PRICE = {
    "price_form": 1,
    "amount": "12345678.90",
    "price_unit": 0,
    "duration_days": 180,
    "quality": "合格",
}


@dataclass
class Bid:
    """Everything a bidder has on disk after ``keygen``, ``package`` and ``seal``."""

    root: Path
    keys: Path
    opening: PrivateKey
    package: Path
    envelope: Path
    suite: str

    @property
    def record(self) -> Path:
        return self.envelope.with_name(self.envelope.name + ".json")

    @property
    def opening_text(self) -> str:
        return self.opening.public_key.to_text()


def run(*argv: str) -> int:
    return main(list(argv))


def make_bid(root: Path, *, suite: str = "intl", payload: bytes = b"%PDF-1.7 tech") -> Bid:
    root.mkdir(parents=True, exist_ok=True)
    keys = root / "keys"
    assert run("keygen", "--out", str(keys), "--suite", suite) == 0
    docs = root / "docs"
    docs.mkdir()
    (docs / "技术标.pdf").write_bytes(payload)
    (docs / "商务标.pdf").write_bytes(b"%PDF-1.7 business")
    price = root / "price.json"
    price.write_text(json.dumps(PRICE, ensure_ascii=False), encoding="utf-8")
    package = root / "bid.zip"
    assert (
        run(
            "package",
            "--out",
            str(package),
            "--price-form",
            str(price),
            "--bidder",
            BIDDER,
            str(docs),
        )
        == 0
    )
    opening = SUITES[suite].generate_wrapping_key()
    envelope = root / "bid.ggzyenv"
    code = run(
        "seal",
        "--package", str(package),
        "--keys", str(keys),
        "--opening-key", opening.public_key.to_text(),
        "--section", SECTION,
        "--bidder", BIDDER,
        "--out", str(envelope),
        "--chunk-size", "256",
    )  # fmt: skip
    assert code == 0
    return Bid(root, keys, opening, package, envelope, suite)

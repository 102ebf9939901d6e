"""Shared test helpers: a bid package and a bidder that seals and submits through the
services (chunked), then builds its key release statement at the opening."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from ggzy import clock
from ggzy.bidkit.package import build_package
from ggzy.bidkit.pricing import parse_price_form
from ggzy.bidkit.release import build_release
from ggzy.crypto import envelope as env
from ggzy.crypto.suites import INTL, PublicKey
from ggzy.tendering import bids
from ggzy.tendering.models import Bid

CHUNK = 256 * 1024


def package(tmp_path: Path, name: str, amount: str) -> bytes:
    doc = tmp_path / f"{name}-technical.pdf"
    doc.write_bytes(b"%PDF-1.7 technical proposal of " + name.encode())
    out = tmp_path / f"{name}.zip"
    price = {
        "price_form": 1,
        "amount": amount,
        "price_unit": 0,
        "duration_days": 365,
        "quality": "合格",
    }
    build_package(out, files=[doc], price_form=parse_price_form(price))
    return out.read_bytes()


class Submitter:
    """A bidder sealing to the tender's opening key and uploading in 256 KiB chunks."""

    def __init__(self, tw: Any, user: Any, org: Any, signing: Any) -> None:
        self.tw, self.user, self.org, self.signing = tw, user, org, signing
        self.encrypt = INTL.generate_wrapping_key()

    def submit(self, plaintext: bytes) -> Bid:
        out = io.BytesIO()
        env.seal(
            io.BytesIO(plaintext),
            out,
            suite=INTL,
            opening_public_key=PublicKey.from_text(self.tw.tender.opening_public_key),
            bidder_public_key=self.encrypt.public_key,
            bidder_signing_key=self.signing,
            tender_ref=self.tw.section.code,
            bidder_ref=self.org.uscc,
            chunk_size=64 * 1024,
        )
        data = out.getvalue()
        up = bids.upload_start(
            actor=self.user,
            tender=self.tw.tender,
            bidder=self.org,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            chunk_size=CHUNK,
        )
        for i in range(up.chunk_count):
            part = data[i * CHUNK : (i + 1) * CHUNK]
            bids.upload_chunk(
                actor=self.user,
                upload=up,
                index=i,
                data=part,
                sha256=hashlib.sha256(part).hexdigest(),
            )
        self.bid = bids.upload_complete(actor=self.user, upload=up)
        return self.bid

    def statement(self) -> dict[str, Any]:
        """The key release statement (as `ggzy bidkit release-key` makes it)."""
        with self.bid.envelope.open("rb") as fh:
            header = env.read_header(fh)
        return build_release(
            header=header,
            envelope_sha256=self.bid.envelope_sha256,
            content_key=env.unwrap_content_key(header, self.encrypt),
            signing_key=self.signing,
            released_at=clock.now(),
        )


class Bidder(Submitter):
    """A submitter that releases its own content key at the opening (bidkit release-key)."""

    def release(self) -> Any:
        from ggzy.tendering import opening

        return opening.bid_key_release(actor=self.user, bid=self.bid, statement=self.statement())


def third_bidder(tw: Any, username: str = "bidder3", name: str = "会宁建设集团有限公司") -> Bidder:
    """One more bidder organisation with a registered signing key (openings need three)."""
    from tests.factories import make_org, signup

    from ggzy.registry import services as registry

    user = signup(username, "张三")
    org = make_org(user, ["bidder"], name)
    signing = INTL.generate_signing_key()
    registry.entity_key_register(
        actor=user, purpose="sign", public_key=signing.public_key.to_text(), organization=org
    )
    return Bidder(tw, user, org, signing)

"""A 200 MiB bid (大文件投标): sealed from a file, uploaded in resumable 8 MiB chunks (one
chunk sent twice, as after a dropped connection), received with a receipt, opened by the
custodians through a temporary file (no plaintext kept), and read back for the committee —
without ever holding the bid in memory."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest
from tests.tendering.helpers import Submitter, package

from ggzy import clock
from ggzy.crypto import envelope as env
from ggzy.crypto.suites import INTL, PublicKey
from ggzy.tendering import bids, keyshare, opening
from ggzy.tendering.models import Consistency, CustodianShare

pytestmark = pytest.mark.django_db

SIZE = 200 * 1024 * 1024
CHUNK = 8 * 1024 * 1024


def _stored_package(path: Path, size: int) -> str:
    """A bid package with one ``size``-byte drawing, stored (random bytes do not deflate)."""
    price = {"format": "ggzy-price-form", "v": 1, "price_form": 1, "amount": "31500000.00"}
    price |= {"price_unit": 0, "other_price": None, "duration_days": 400, "quality": "合格"}
    price_bytes = json.dumps(price, ensure_ascii=False, sort_keys=True).encode()
    digest = hashlib.sha256()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("price-form.json", price_bytes)
        info = zipfile.ZipInfo("files/drawings.bin", date_time=(1980, 1, 1, 0, 0, 0))
        info.file_size = size
        with zf.open(info, "w") as out:
            left = size
            while left:
                block = os.urandom(min(left, CHUNK))
                digest.update(block)
                out.write(block)
                left -= len(block)
        entries = [
            {"name": "price-form.json", "size": len(price_bytes)},
            {"name": "files/drawings.bin", "size": size, "sha256": digest.hexdigest()},
        ]
        entries[0]["sha256"] = hashlib.sha256(price_bytes).hexdigest()
        manifest = {"format": "ggzy-bid-package", "v": 1, "bidder": None, "files": entries}
        zf.writestr("manifest.json", json.dumps(manifest))
    return _sha256_file(path)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def test_a_200_mib_bid_is_submitted_in_chunks_and_opened(tw, tmp_path):
    tender = tw.publish()
    pkg = tmp_path / "bid.zip"
    pkg_sha = _stored_package(pkg, SIZE)
    sealed = tmp_path / "bid.ggzyenv"
    encrypt = INTL.generate_wrapping_key()
    with pkg.open("rb") as src, sealed.open("wb") as dst:
        env.seal(
            src,
            dst,
            suite=INTL,
            opening_public_key=PublicKey.from_text(tender.opening_public_key),
            bidder_public_key=encrypt.public_key,
            bidder_signing_key=tw.bidder_signing,
            tender_ref=tw.section.code,
            bidder_ref=tw.world.bidder_org.uscc,
        )
    size = sealed.stat().st_size
    assert size > SIZE
    sealed_sha = _sha256_file(sealed)
    user = tw.world.bidder
    up = bids.upload_start(
        actor=user,
        tender=tender,
        bidder=tw.world.bidder_org,
        size=size,
        sha256=sealed_sha,
        chunk_size=CHUNK,
    )
    assert up.chunk_count == -(-size // CHUNK)
    with sealed.open("rb") as fh:
        for index in [*range(up.chunk_count), 3]:  # chunk 3 again: resuming is harmless
            fh.seek(index * CHUNK)
            part = fh.read(CHUNK)
            bids.upload_chunk(
                actor=user,
                upload=up,
                index=index,
                data=part,
                sha256=hashlib.sha256(part).hexdigest(),
            )
    bid = bids.upload_complete(actor=user, upload=up)
    assert bid.envelope_sha256 == sealed_sha
    assert bid.ledger_entry_id is not None

    # two ordinary bids, so the opening proceeds
    Submitter(tw, tw.other_bidder, tw.other_org, tw.other_signing).submit(
        package(tmp_path, "b", "29100000")
    )
    from tests.tendering.test_opening import _third

    _third(tw).submit(package(tmp_path, "c", "28650000"))
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=5)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
        for role in ("centre", "supervisor"):
            share = CustodianShare.objects.get(tender=tender, role=role)
            plain = keyshare.open_sealed_share(bytes(share.wrapped_share), tw.custodian_keys[role])
            bids.share_release(actor=tw.custodians[role], share=share, plaintext_share=plain)
        assert opening.custodian_decrypt_all(actor=tw.world.staff, tender=tender) == 3
    row = bid.opening
    row.refresh_from_db()
    assert row.consistency == Consistency.CONSISTENT, row.detail
    assert row.plaintext_sha256 == pkg_sha
    assert row.price["amount"] == "31500000.00"
    got = hashlib.sha256()
    with opening.opened_package(row) as fh:
        while block := fh.read(CHUNK):
            got.update(block)
    assert got.hexdigest() == pkg_sha

"""The consistency check of one stored envelope (``tendering.opener``), without Django: the
memory-mapped path (a real file) and the streaming path (any stream) must agree on every
envelope, intact or damaged, and the chunk-list reader must behave as a file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.bidkit.package import build_package
from ggzy.bidkit.pricing import parse_price_form
from ggzy.crypto import envelope as env
from ggzy.crypto.suites import INTL, KeyAlgorithm, PrivateKey
from ggzy.tendering import opener

MIB = 1 << 20


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, PrivateKey]:
    """A real bid package (price form + a 300 KiB document) sealed in 64 KiB chunks."""
    tmp = tmp_path_factory.mktemp("opener")
    doc = tmp / "technical.pdf"
    doc.write_bytes(b"%PDF-1.7 " + bytes(range(256)) * 1200)
    package = tmp / "bid.zip"
    build_package(
        package,
        files=[doc],
        price_form=parse_price_form(
            {"price_form": 1, "amount": "1234567.89", "price_unit": 0, "duration_days": 90}
        ),
    )
    opening = PrivateKey.generate(KeyAlgorithm.X25519)
    out = io.BytesIO()
    env.seal(
        io.BytesIO(package.read_bytes()),
        out,
        suite=INTL,
        opening_public_key=opening.public_key,
        bidder_public_key=PrivateKey.generate(KeyAlgorithm.X25519).public_key,
        bidder_signing_key=PrivateKey.generate(KeyAlgorithm.ED25519),
        tender_ref="E6204020101000001001",
        bidder_ref="91620402MA00000000",
        chunk_size=64 * 1024,
    )
    return out.getvalue(), opening


def _both(data: bytes, receipt: str, key: PrivateKey, tmp_path: Path) -> list[opener.Opened]:
    path = tmp_path / "stored.env"
    path.write_bytes(data)
    done = []
    for stored in (path.open("rb"), io.BytesIO(data)):  # mapped, then streaming
        with stored:
            done.append(
                opener.open_stored(
                    stored,
                    envelope_sha256=receipt,
                    label="bid.zip",
                    memory_limit=MIB,
                    opening_key=key,
                )
            )
    return done


def test_an_intact_envelope_opens_the_same_mapped_or_streamed(sealed, tmp_path):
    import hashlib

    data, key = sealed
    mapped, streamed = _both(data, hashlib.sha256(data).hexdigest(), key, tmp_path)
    assert mapped == streamed
    assert mapped.consistency == opener.CONSISTENT, mapped.detail
    assert mapped.price["amount"] == "1234567.89"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (lambda n: 20, opener.HASH_MISMATCH),  # inside the JSON header
        (lambda n: n // 2, opener.HASH_MISMATCH),  # a chunk's ciphertext
        (lambda n: n - 1, opener.HASH_MISMATCH),  # the last tag
    ],
)
def test_a_changed_byte_is_flagged_the_same_mapped_or_streamed(sealed, tmp_path, where, expected):
    import hashlib

    data, key = sealed
    receipt = hashlib.sha256(data).hexdigest()  # the receipt was for the intact file
    damaged = bytearray(data)
    damaged[where(len(data))] ^= 0x01
    mapped, streamed = _both(bytes(damaged), receipt, key, tmp_path)
    assert mapped == streamed
    assert mapped.consistency == expected
    assert not mapped.content_key
    assert not mapped.price


@pytest.mark.parametrize(
    "change",
    [lambda d: d[:-100], lambda d: d + b"\0", lambda d: d[:5], lambda d: b""],
    ids=["truncated", "trailing byte", "cut in the prefix", "empty"],
)
def test_a_damaged_file_whose_receipt_matches_is_tampered_not_consistent(sealed, tmp_path, change):
    """Even with a receipt that matches the damaged bytes (as if the upload itself was bad),
    the envelope's own structure refuses it — on both paths."""
    import hashlib

    data, key = sealed
    damaged = change(data)
    mapped, streamed = _both(damaged, hashlib.sha256(damaged).hexdigest(), key, tmp_path)
    assert mapped == streamed
    assert mapped.consistency == opener.TAMPERED


def test_a_key_that_is_not_a_recipient_is_recorded_as_tampered(sealed, tmp_path):
    import hashlib

    data, _ = sealed
    stranger = PrivateKey.generate(KeyAlgorithm.X25519)
    mapped, streamed = _both(data, hashlib.sha256(data).hexdigest(), stranger, tmp_path)
    assert mapped == streamed
    assert mapped.consistency == opener.TAMPERED


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.binary(min_size=0, max_size=40), max_size=8),
    ops=st.lists(
        st.tuples(
            st.sampled_from([io.SEEK_SET, io.SEEK_CUR, io.SEEK_END]),
            st.integers(-50, 200),
            st.integers(-1, 60),
        ),
        max_size=12,
    ),
)
def test_the_chunk_list_reads_like_the_joined_bytes(parts, ops):
    """``_Chunks.readable()`` (the price form is read from it) behaves as a file over the
    joined plaintext, for any split into chunks and any seek/read sequence."""
    chunks = opener._Chunks()
    for part in parts:
        chunks.write(part)
    ours, reference = chunks.readable(), io.BytesIO(b"".join(parts))
    for whence, offset, size in ops:
        size_all = len(reference.getvalue())
        base = {io.SEEK_SET: 0, io.SEEK_CUR: reference.tell(), io.SEEK_END: size_all}
        if base[whence] + offset < 0:
            with pytest.raises(OSError, match="negative seek"):
                ours.seek(offset, whence)
            continue
        assert ours.seek(offset, whence) == reference.seek(offset, whence)
        assert ours.read(size) == reference.read(size)
        assert ours.tell() == reference.tell()

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
from typing import Any

import pytest

from ggzy.bidkit.errors import BidkitError
from ggzy.bidkit.release import SIGNATURE_PREFIX, build_release, verify_release
from ggzy.crypto.envelope import EnvelopeHeader, canonical_json, read_header, seal
from ggzy.crypto.suites import GM, INTL, PrivateKey, Suite

AT = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC)
SECTION = "E3100000151008459002001"
BIDDER = "91110000600037341L"


def _sealed(suite: Suite) -> tuple[EnvelopeHeader, bytes, PrivateKey, PrivateKey]:
    signing, own, opening = (
        suite.generate_signing_key(),
        suite.generate_wrapping_key(),
        suite.generate_wrapping_key(),
    )
    out = io.BytesIO()
    result = seal(
        io.BytesIO(b"bid package"),
        out,
        suite=suite,
        opening_public_key=opening.public_key,
        bidder_public_key=own.public_key,
        bidder_signing_key=signing,
        tender_ref=SECTION,
        bidder_ref=BIDDER,
    )
    return read_header(io.BytesIO(out.getvalue())), result.content_key, signing, own


@pytest.mark.parametrize("suite", [INTL, GM], ids=["intl", "gm"])
def test_statement_round_trip(suite: Suite) -> None:
    header, key, signing, _own = _sealed(suite)
    doc = build_release(
        header=header,
        envelope_sha256="ab" * 32,
        content_key=key,
        signing_key=signing,
        released_at=AT,
    )
    assert doc["statement"] == {
        "format": "ggzy-key-release",
        "v": 1,
        "suite": suite.name,
        "section": SECTION,
        "bidder": BIDDER,
        "envelope_sha256": "ab" * 32,
        "content_key": base64.b64encode(key).decode(),
        "released_at": "2026-05-01T09:30:00Z",
    }
    assert doc["signature"]["key_id"] == header.signer_kid
    suite.verify(
        signing.public_key,
        SIGNATURE_PREFIX + canonical_json(doc["statement"]),
        base64.b64decode(doc["signature"]["value"]),
    )
    release = verify_release(
        doc, verify_key=signing.public_key, header=header, envelope_sha256="ab" * 32
    )
    assert release.content_key == key
    assert release.released_at == AT


def _doc() -> tuple[dict[str, Any], EnvelopeHeader, PrivateKey]:
    header, key, signing, _ = _sealed(INTL)
    doc = build_release(
        header=header,
        envelope_sha256="cd" * 32,
        content_key=key,
        signing_key=signing,
        released_at=AT,
    )
    return doc, header, signing


def test_any_change_breaks_the_signature() -> None:
    doc, _header, signing = _doc()
    for member, value in (
        ("section", "OTHER"),
        ("released_at", "2026-05-01T09:31:00Z"),
        ("content_key", base64.b64encode(bytes(32)).decode()),
    ):
        bad = copy.deepcopy(doc)
        bad["statement"][member] = value
        with pytest.raises(BidkitError) as caught:
            verify_release(bad, verify_key=signing.public_key)
        assert caught.value.code == "signature_invalid", member


def test_wrong_signer_envelope_and_key_are_refused() -> None:
    doc, header, signing = _doc()
    other = INTL.generate_signing_key()
    with pytest.raises(BidkitError) as caught:
        verify_release(doc, verify_key=other.public_key)
    assert caught.value.code == "signature_invalid"
    with pytest.raises(BidkitError) as caught:
        verify_release(doc, verify_key=signing.public_key, envelope_sha256="ef" * 32)
    assert "different envelope" in caught.value.message_en

    other_header, other_key, _, _ = _sealed(INTL)
    foreign = build_release(
        header=header,
        envelope_sha256="cd" * 32,
        content_key=other_key,  # a key from another envelope
        signing_key=signing,
        released_at=AT,
    )
    with pytest.raises(BidkitError) as caught:
        verify_release(foreign, verify_key=signing.public_key, header=header)
    assert caught.value.code == "wrong_key"
    with pytest.raises(BidkitError) as caught:
        verify_release(doc, verify_key=signing.public_key, header=other_header)
    assert caught.value.code == "release_invalid"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("signature"),
        lambda d: d["statement"].update(extra=1),
        lambda d: d["statement"].update(v=2),
        lambda d: d["statement"].update(suite="rsa"),
        lambda d: d["statement"].update(envelope_sha256="AB" * 32),
        lambda d: d["statement"].update(content_key="***"),
        lambda d: d["statement"].update(content_key=base64.b64encode(b"short").decode()),
        lambda d: d["statement"].update(released_at="yesterday"),
        lambda d: d["statement"].update(bidder=""),
        lambda d: d["signature"].update(algorithm="sm2"),
    ],
)
def test_malformed_statements_are_refused(mutate: Any) -> None:
    doc, _header, signing = _doc()
    mutate(doc)
    with pytest.raises(BidkitError) as caught:
        verify_release(doc, verify_key=signing.public_key)
    assert caught.value.code == "release_invalid"

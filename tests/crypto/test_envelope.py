"""The sealed bid envelope (加密投标文件), format version 1."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.crypto import envelope, errors, shamir, sm2, suites
from ggzy.crypto.envelope import (
    open_envelope,
    read_header,
    seal,
    unwrap_content_key,
    verify_header_signature,
)
from ggzy.crypto.errors import (
    CommitmentMismatchError,
    EnvelopeError,
    ErrorCode,
    InvalidParameterError,
    KeyFormatError,
)
from ggzy.crypto.suites import GM, INTL, PrivateKey, PublicKey, Suite, get_suite

TENDER = "A02-123100007847653857-20161012-000015-Q/001"
BIDDER = "91110000600037341L"


@dataclass(frozen=True)
class Parties:
    suite: Suite
    signing: PrivateKey  # bidder's signing key (签名密钥)
    bidder: PrivateKey  # bidder's own encryption key (投标人加密密钥)
    opening: PrivateKey  # tender's opening key (开标密钥)


PARTIES = {
    s.name: Parties(
        s, s.generate_signing_key(), s.generate_wrapping_key(), s.generate_wrapping_key()
    )
    for s in (INTL, GM)
}
SUITE_PARAMS = pytest.mark.parametrize("p", list(PARTIES.values()), ids=list(PARTIES))


def _seal(p: Parties, plaintext: bytes, chunk_size: int = 64, **kwargs: object) -> bytes:
    out = io.BytesIO()
    result = seal(
        io.BytesIO(plaintext),
        out,
        suite=p.suite,
        opening_public_key=p.opening.public_key,
        bidder_public_key=p.bidder.public_key,
        bidder_signing_key=p.signing,
        tender_ref=kwargs.pop("tender_ref", TENDER),  # type: ignore[arg-type]
        bidder_ref=BIDDER,
        chunk_size=chunk_size,
        **kwargs,  # type: ignore[arg-type]
    )
    data = out.getvalue()
    assert result.envelope_length == len(data) == result.header.envelope_length
    assert result.envelope_digest == p.suite.hash(data)
    return data


def _pipeline(p: Parties, data: bytes, key: PrivateKey | None = None) -> bytes:
    """What the platform does at the opening: header, signature, unwrap, decrypt."""
    header = read_header(io.BytesIO(data))
    verify_header_signature(header, p.signing.public_key)
    content_key = unwrap_content_key(header, key or p.opening)
    out = io.BytesIO()
    result = open_envelope(io.BytesIO(data), out, content_key)
    assert result.consistent
    return out.getvalue()


def _code(exc: pytest.ExceptionInfo[EnvelopeError]) -> str:
    return str(exc.value.code)


# ---------------------------------------------------------------------------- round trips


@SUITE_PARAMS
@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 200, 256])
def test_round_trip_with_either_key(p: Parties, size: int) -> None:
    plaintext = os.urandom(size)
    data = _seal(p, plaintext)
    assert _pipeline(p, data) == plaintext
    assert _pipeline(p, data, p.bidder) == plaintext
    header = read_header(io.BytesIO(data))
    assert header.suite is p.suite
    assert header.plaintext_length == size
    assert header.chunk_count == max(1, -(-size // 64))
    assert header.commitment == p.suite.hash(plaintext)
    assert (header.tender_ref, header.bidder_ref) == (TENDER, BIDDER)
    assert [r.role for r in header.recipients] == ["opening", "bidder"]
    assert header.signer_kid == p.suite.key_id(p.signing.public_key)


@SUITE_PARAMS
def test_header_bytes_layout(p: Parties) -> None:
    data = _seal(p, b"x" * 100)
    magic, version, size = struct.unpack(">8sBI", data[:13])
    assert (magic, version) == (b"GGZY-ENV", 1)
    obj = json.loads(data[13 : 13 + size])
    assert sorted(obj) == sorted(
        [
            "format", "v", "suite", "tender", "bidder", "chunk_size", "length",
            "commitment", "salt", "key_check", "recipients", "signer", "signature",
        ]
    )  # fmt: skip
    assert obj["format"] == "ggzy-envelope"
    assert obj["suite"] == p.suite.name
    assert obj["commitment"] == p.suite.hash(b"x" * 100).hex()
    compact = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert compact.encode() == data[13 : 13 + size]
    assert len(data) == 13 + size + 100 + 2 * 16  # two chunks, one tag each


def test_chinese_references_round_trip() -> None:
    p = PARTIES["gm"]
    data = _seal(p, "投标文件".encode(), tender_ref="白银市公共资源交易中心-2026-001 标段一")
    header = read_header(io.BytesIO(data))
    assert header.tender_ref == "白银市公共资源交易中心-2026-001 标段一"
    assert _pipeline(p, data) == "投标文件".encode()


def test_same_content_key_gives_different_envelopes() -> None:
    p = PARTIES["intl"]
    key = bytes(range(32))
    one = _seal(p, b"same", content_key=key)
    two = _seal(p, b"same", content_key=key)
    assert one[-20:] != two[-20:]
    assert unwrap_content_key(read_header(io.BytesIO(one)), p.opening) == key


# ---------------------------------------------------------------------------- tampering


FLIP_DATA = {name: _seal(p, bytes(range(256)) + b"tail", 64) for name, p in PARTIES.items()}


@pytest.mark.parametrize("name", list(PARTIES))
@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_any_flipped_byte_is_detected(name: str, position: int, mask: int) -> None:
    p, data = PARTIES[name], FLIP_DATA[name]
    position %= len(data)
    altered = bytearray(data)
    altered[position] ^= mask
    with pytest.raises(EnvelopeError) as info:
        _pipeline(p, bytes(altered))
    header_end = 13 + struct.unpack(">I", data[9:13])[0]
    if position >= header_end:
        assert _code(info) == ErrorCode.ENVELOPE_TAMPERED
    else:
        assert _code(info) in {
            ErrorCode.ENVELOPE_MALFORMED,
            ErrorCode.ENVELOPE_UNSUPPORTED,
            ErrorCode.ENVELOPE_TRUNCATED,
            ErrorCode.SIGNATURE_INVALID,
        }


@pytest.mark.parametrize("name", list(PARTIES))
@settings(max_examples=100, deadline=None)
@given(position=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_header_changes_break_decryption_even_without_signature_check(
    name: str, position: int, mask: int
) -> None:
    """The header core is bound into every chunk, so a platform that skipped the
    signature check still cannot be fooled — only the signature value is unbound."""
    p, data = PARTIES[name], FLIP_DATA[name]
    header = read_header(io.BytesIO(data))
    content_key = unwrap_content_key(header, p.opening)
    header_end = 13 + len(header.header_bytes)
    position %= header_end
    sig_hex = header.signature.hex().encode()
    sig_at = data.index(sig_hex)
    if sig_at <= position < sig_at + len(sig_hex):
        return
    altered = bytearray(data)
    altered[position] ^= mask
    with pytest.raises(EnvelopeError):
        open_envelope(io.BytesIO(bytes(altered)), io.BytesIO(), content_key)


@pytest.mark.parametrize("name", list(PARTIES))
@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0))
def test_any_truncation_is_detected(name: str, cut: int) -> None:
    p, data = PARTIES[name], FLIP_DATA[name]
    cut %= len(data)
    with pytest.raises(EnvelopeError) as info:
        _pipeline(p, data[:cut])
    assert _code(info) == ErrorCode.ENVELOPE_TRUNCATED


@SUITE_PARAMS
def test_truncation_at_every_chunk_boundary(p: Parties) -> None:
    data = _seal(p, os.urandom(64 * 5), 64)
    header = read_header(io.BytesIO(data))
    start = 13 + len(header.header_bytes)
    content_key = unwrap_content_key(header, p.opening)
    for chunks in range(header.chunk_count):
        cut = data[: start + chunks * (64 + 16)]
        with pytest.raises(EnvelopeError) as info:
            open_envelope(io.BytesIO(cut), io.BytesIO(), content_key)
        assert _code(info) == ErrorCode.ENVELOPE_TRUNCATED


@SUITE_PARAMS
def test_chunk_reorder_drop_and_duplicate_are_detected(p: Parties) -> None:
    data = _seal(p, os.urandom(64 * 4), 64)
    header = read_header(io.BytesIO(data))
    start = 13 + len(header.header_bytes)
    step = 64 + 16
    chunks = [data[start + i * step : start + (i + 1) * step] for i in range(4)]
    content_key = unwrap_content_key(header, p.opening)
    for order in ([1, 0, 2, 3], [0, 1, 3, 2], [3, 1, 2, 0], [0, 0, 2, 3], [0, 2, 3, 3]):
        rebuilt = data[:start] + b"".join(chunks[i] for i in order)
        with pytest.raises(EnvelopeError) as info:
            open_envelope(io.BytesIO(rebuilt), io.BytesIO(), content_key)
        assert _code(info) == ErrorCode.ENVELOPE_TAMPERED
    dropped = data[:start] + chunks[0] + chunks[2] + chunks[3]
    with pytest.raises(EnvelopeError) as info:
        open_envelope(io.BytesIO(dropped), io.BytesIO(), content_key)
    assert _code(info) == ErrorCode.ENVELOPE_TAMPERED  # chunk 2 fails as chunk 1 first


@SUITE_PARAMS
def test_appended_bytes_are_refused(p: Parties) -> None:
    data = _seal(p, b"bid")
    with pytest.raises(EnvelopeError) as info:
        _pipeline(p, data + b"\0")
    assert _code(info) == ErrorCode.ENVELOPE_MALFORMED


def test_wrapped_key_swapped_from_another_envelope_is_detected() -> None:
    p = PARTIES["gm"]  # SM2 wrap has no associated data: the key check catches it
    one = read_header(io.BytesIO(_seal(p, b"one")))
    two = read_header(io.BytesIO(_seal(p, b"two")))
    spliced = dataclasses.replace(one, recipients=two.recipients)
    with pytest.raises(EnvelopeError) as info:
        unwrap_content_key(spliced, p.opening)
    assert _code(info) == ErrorCode.ENVELOPE_TAMPERED


# ---------------------------------------------------------------------------- keys


@SUITE_PARAMS
def test_wrong_keys(p: Parties) -> None:
    data = _seal(p, b"bid")
    header = read_header(io.BytesIO(data))
    with pytest.raises(EnvelopeError) as info:
        unwrap_content_key(header, p.suite.generate_wrapping_key())
    assert _code(info) == ErrorCode.WRONG_KEY
    other = GM if p.suite is INTL else INTL
    with pytest.raises(EnvelopeError) as info:
        unwrap_content_key(header, other.generate_wrapping_key())
    assert _code(info) == ErrorCode.WRONG_KEY
    with pytest.raises(EnvelopeError) as info:
        open_envelope(io.BytesIO(data), io.BytesIO(), os.urandom(32))
    assert _code(info) == ErrorCode.WRONG_KEY
    with pytest.raises(EnvelopeError) as info:
        verify_header_signature(header, p.suite.generate_signing_key().public_key)
    assert _code(info) == ErrorCode.SIGNATURE_INVALID
    with pytest.raises(EnvelopeError) as info:
        verify_header_signature(header, other.generate_signing_key().public_key)
    assert _code(info) == ErrorCode.SIGNATURE_INVALID


def test_seal_parameter_checks() -> None:
    p = PARTIES["intl"]
    g = PARTIES["gm"]
    with pytest.raises(KeyFormatError) as info:
        seal(
            io.BytesIO(b"x"),
            io.BytesIO(),
            suite=INTL,
            opening_public_key=g.opening.public_key,
            bidder_public_key=p.bidder.public_key,
            bidder_signing_key=p.signing,
            tender_ref=TENDER,
            bidder_ref=BIDDER,
        )
    assert info.value.code == ErrorCode.KEY_UNSUPPORTED
    with pytest.raises(InvalidParameterError):
        _seal(p, b"x", chunk_size=8)
    with pytest.raises(InvalidParameterError):
        _seal(p, b"x", tender_ref="bad\nref")
    with pytest.raises(InvalidParameterError):
        _seal(p, b"x", tender_ref="")
    with pytest.raises(InvalidParameterError):
        _seal(p, b"x", content_key=bytes(16))
    with pytest.raises(InvalidParameterError):
        seal(
            io.BytesIO(b"x"),
            io.BytesIO(),
            suite=INTL,
            opening_public_key=p.opening.public_key,
            bidder_public_key=p.opening.public_key,
            bidder_signing_key=p.signing,
            tender_ref=TENDER,
            bidder_ref=BIDDER,
        )


class _Unseekable(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return 0


class _Changing(io.BytesIO):
    """A file that another process rewrites between the two passes."""

    def seek(self, offset: int, whence: int = 0) -> int:
        position = super().seek(offset, whence)
        if self.getvalue().startswith(b"A"):
            self.getbuffer()[0:1] = b"B"
        return position


def test_input_must_be_seekable_and_stable() -> None:
    p = PARTIES["intl"]
    with pytest.raises(EnvelopeError) as info:
        seal(
            _Unseekable(),
            io.BytesIO(),
            suite=INTL,
            opening_public_key=p.opening.public_key,
            bidder_public_key=p.bidder.public_key,
            bidder_signing_key=p.signing,
            tender_ref=TENDER,
            bidder_ref=BIDDER,
        )
    assert _code(info) == ErrorCode.INPUT_NOT_SEEKABLE
    with pytest.raises(EnvelopeError) as info:
        seal(
            _Changing(b"A" * 100),
            io.BytesIO(),
            suite=INTL,
            opening_public_key=p.opening.public_key,
            bidder_public_key=p.bidder.public_key,
            bidder_signing_key=p.signing,
            tender_ref=TENDER,
            bidder_ref=BIDDER,
            chunk_size=64,
        )
    assert _code(info) == ErrorCode.INPUT_CHANGED


# ---------------------------------------------------------------------------- header strictness


def _with_header(data: bytes, header: bytes) -> bytes:
    size = struct.unpack(">I", data[9:13])[0]
    return data[:9] + struct.pack(">I", len(header)) + header + data[13 + size :]


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda o: o, ErrorCode.ENVELOPE_MALFORMED),  # same object, pretty-printed below
        (lambda o: {**o, "extra": 1}, ErrorCode.ENVELOPE_MALFORMED),
        (lambda o: {k: v for k, v in o.items() if k != "salt"}, ErrorCode.ENVELOPE_MALFORMED),
        (lambda o: {**o, "suite": "rsa"}, ErrorCode.ENVELOPE_UNSUPPORTED),
        (lambda o: {**o, "v": 2}, ErrorCode.ENVELOPE_UNSUPPORTED),
        (lambda o: {**o, "length": 1.0}, ErrorCode.ENVELOPE_MALFORMED),
        (lambda o: {**o, "length": -1}, ErrorCode.ENVELOPE_MALFORMED),
        (lambda o: {**o, "chunk_size": True}, ErrorCode.ENVELOPE_MALFORMED),
        (lambda o: {**o, "salt": o["salt"].upper()}, ErrorCode.ENVELOPE_MALFORMED),
        (lambda o: {**o, "recipients": o["recipients"][::-1]}, ErrorCode.ENVELOPE_MALFORMED),
        (lambda o: {**o, "recipients": o["recipients"][:1]}, ErrorCode.ENVELOPE_MALFORMED),
        (lambda o: {**o, "tender": "a\u0000b"}, ErrorCode.ENVELOPE_MALFORMED),
        (lambda o: [o], ErrorCode.ENVELOPE_MALFORMED),
    ],
)
def test_header_must_be_exact_and_canonical(edit: object, code: ErrorCode) -> None:
    data = FLIP_DATA["intl"]
    size = struct.unpack(">I", data[9:13])[0]
    obj = json.loads(data[13 : 13 + size])
    edited = edit(obj)  # type: ignore[operator]
    indent = 1 if edited is obj else None
    raw = json.dumps(edited, indent=indent, sort_keys=True, separators=(",", ":"))
    with pytest.raises(EnvelopeError) as info:
        read_header(io.BytesIO(_with_header(data, raw.encode())))
    assert _code(info) == code


def test_duplicate_keys_and_bad_prefix_are_refused() -> None:
    data = FLIP_DATA["intl"]
    size = struct.unpack(">I", data[9:13])[0]
    raw = data[13 : 13 + size]
    duplicated = b'{"v":1,' + raw[1:]
    with pytest.raises(EnvelopeError) as info:
        read_header(io.BytesIO(_with_header(data, duplicated)))
    assert _code(info) == ErrorCode.ENVELOPE_MALFORMED
    with pytest.raises(EnvelopeError) as info:
        read_header(io.BytesIO(b"GGZY-ENV\x02" + data[9:]))
    assert _code(info) == ErrorCode.ENVELOPE_UNSUPPORTED
    with pytest.raises(EnvelopeError) as info:
        read_header(io.BytesIO(b"PK\x03\x04" + data[4:]))
    assert _code(info) == ErrorCode.ENVELOPE_MALFORMED
    with pytest.raises(EnvelopeError) as info:
        read_header(io.BytesIO(data[:9] + b"\xff\xff\xff\xff" + data[13:]))
    assert _code(info) == ErrorCode.ENVELOPE_MALFORMED


# ---------------------------------------------------------------------------- the documented format


def _seal_by_hand(p: Parties, plaintext: bytes, commitment: bytes, chunk_size: int) -> bytes:
    """An independent INTL sealer written from docs/envelope.md with raw primitives.

    It lets the test forge what a dishonest bidder tool could produce: a valid,
    signed envelope whose commitment is not the hash of the encrypted file.
    """
    content_key, salt = os.urandom(32), os.urandom(32)

    def hkdf(info: bytes, length: int) -> bytes:
        return HKDF(hashes.SHA256(), length, salt, info).derive(content_key)

    payload_key = hkdf(b"ggzy-envelope-v1 payload-key", 32)
    nonce_base = hkdf(b"ggzy-envelope-v1 nonce-base", 12)
    recipients = []
    for role, key in (("opening", p.opening), ("bidder", p.bidder)):
        wrapped = INTL.wrap_key(key.public_key, content_key, context=salt)
        kid = hashlib.sha256(b"\x02" + key.public_key.raw).hexdigest()[:32]
        recipients.append(
            {"role": role, "kid": kid, "epk": wrapped.epk.hex(), "wk": wrapped.wk.hex()}
        )
    core = {
        "format": "ggzy-envelope",
        "v": 1,
        "suite": "intl",
        "tender": TENDER,
        "bidder": BIDDER,
        "chunk_size": chunk_size,
        "length": len(plaintext),
        "commitment": commitment.hex(),
        "salt": salt.hex(),
        "key_check": hkdf(b"ggzy-envelope-v1 key-check", 16).hex(),
        "recipients": recipients,
        "signer": hashlib.sha256(b"\x01" + p.signing.public_key.raw).hexdigest()[:32],
    }
    core_bytes = json.dumps(core, sort_keys=True, separators=(",", ":")).encode()
    signer = ed25519.Ed25519PrivateKey.from_private_bytes(p.signing.secret)
    signature = signer.sign(b"ggzy-envelope-v1\n" + core_bytes)
    header = json.dumps(
        {**core, "signature": signature.hex()}, sort_keys=True, separators=(",", ":")
    )
    out = bytearray(b"GGZY-ENV\x01" + struct.pack(">I", len(header)) + header.encode())
    core_digest = hashlib.sha256(core_bytes).digest()
    count = max(1, -(-len(plaintext) // chunk_size))
    aead = AESGCM(payload_key)
    for i in range(count):
        chunk = plaintext[i * chunk_size : (i + 1) * chunk_size]
        nonce = nonce_base[:4] + (int.from_bytes(nonce_base[4:], "big") ^ i).to_bytes(8, "big")
        aad = core_digest + struct.pack(">QB", i, int(i == count - 1))
        out += aead.encrypt(nonce, chunk, aad)
    return bytes(out)


def test_envelope_written_from_the_documentation_opens() -> None:
    p = PARTIES["intl"]
    plaintext = os.urandom(300)
    data = _seal_by_hand(p, plaintext, hashlib.sha256(plaintext).digest(), 128)
    assert _pipeline(p, data) == plaintext
    assert _pipeline(p, data, p.bidder) == plaintext


def test_commitment_mismatch_is_reported() -> None:
    """投标文件一致性判断: the bidder signed file B's hash but encrypted file A."""
    p = PARTIES["intl"]
    data = _seal_by_hand(p, b"file A", hashlib.sha256(b"file B").digest(), 64)
    header = read_header(io.BytesIO(data))
    verify_header_signature(header, p.signing.public_key)  # the signature itself is valid
    content_key = unwrap_content_key(header, p.opening)
    with pytest.raises(CommitmentMismatchError) as info:
        open_envelope(io.BytesIO(data), io.BytesIO(), content_key)
    assert info.value.code == ErrorCode.COMMITMENT_MISMATCH
    assert info.value.result.digest == hashlib.sha256(b"file A").digest()
    assert info.value.result.commitment == hashlib.sha256(b"file B").digest()
    lenient = open_envelope(io.BytesIO(data), io.BytesIO(), content_key, strict=False)
    assert lenient.consistent is False


DOC = Path(__file__).resolve().parents[2] / "docs" / "envelope.md"


def _documented_examples() -> dict[str, dict[str, Any]]:
    text = DOC.read_text(encoding="utf-8").split("<!-- example-vectors -->", 1)[1]
    body = text.split("```json", 1)[1].split("```", 1)[0]
    examples: dict[str, dict[str, Any]] = json.loads(body)
    return examples


@pytest.mark.parametrize("name", ["intl", "gm"])
def test_documented_example_vectors(name: str) -> None:
    ex = _documented_examples()[name]
    suite = get_suite(ex["suite"])
    data = bytes.fromhex("".join(ex["envelope_hex"]))
    signing_public = PublicKey.from_text(ex["bidder_signing_public_key"])
    assert PrivateKey.from_text(ex["bidder_signing_key"]).public_key == signing_public
    header = read_header(io.BytesIO(data))
    verify_header_signature(header, signing_public)
    for key_text in (ex["opening_key"], ex["bidder_key"]):
        content_key = unwrap_content_key(header, PrivateKey.from_text(key_text))
        assert content_key.hex() == ex["content_key"]
    out = io.BytesIO()
    assert open_envelope(io.BytesIO(data), out, content_key).consistent
    assert out.getvalue().decode("utf-8") == ex["plaintext_utf8"]
    keys = envelope._derive(suite, content_key, header.salt)
    assert keys.payload_key.hex() == ex["payload_key"]
    assert keys.nonce_base.hex() == ex["nonce_base"]
    assert keys.key_check.hex() == ex["key_check"] == header.key_check.hex()
    assert header.core_digest.hex() == ex["core_digest"]
    assert suite.hash(data).hex() == ex["envelope_digest"]
    if name == "intl":
        opening = PrivateKey.from_text(ex["opening_key"])
        epk = header.recipient("opening").epk
        own = x25519.X25519PrivateKey.from_private_bytes(opening.secret)
        shared = own.exchange(x25519.X25519PublicKey.from_public_bytes(epk))
        assert shared.hex() == ex["opening_shared_secret"]
        info = b"ggzy-key-wrap-v1" + epk + opening.public_key.raw
        kek = HKDF(hashes.SHA256(), 32, header.salt, info).derive(shared)
        assert kek.hex() == ex["opening_kek"]


_NODE_RUNNER = """
import { seal, unwrapOwn, hex, fromHex } from "./recipe.mjs";
import { readFileSync, writeFileSync } from "node:fs";
const a = JSON.parse(readFileSync("args.json", "utf8"));
const b64url = (u8) => Buffer.from(u8).toString("base64url");
const plain = readFileSync("plain.bin");
const commitment = new Uint8Array(await crypto.subtle.digest("SHA-256", plain));
const signingPublic = fromHex(a.signing_public), signingPrivate = fromHex(a.signing_private);
const blob = await seal(new Blob([plain]), {
  commitment, openingPublic: fromHex(a.opening_public), bidderPublic: fromHex(a.bidder_public),
  signingJwk: { kty: "OKP", crv: "Ed25519", x: b64url(signingPublic), d: b64url(signingPrivate) },
  signingPublic, tender: a.tender, bidder: a.bidder, chunkSize: 1000,
});
writeFileSync("js.ggzy", Buffer.from(await blob.arrayBuffer()));
const env = readFileSync("python.ggzy");
const size = env.readUInt32BE(9);
const header = JSON.parse(env.subarray(13, 13 + size).toString("utf8"));
const own = fromHex(a.bidder_public);
const jwk = { kty: "OKP", crv: "X25519", x: b64url(own), d: b64url(fromHex(a.bidder_private)) };
writeFileSync("ck.hex", hex(await unwrapOwn(header, jwk, own)));
"""


def test_webcrypto_recipe_in_the_documentation(tmp_path: Path) -> None:
    """Run the JavaScript of docs/envelope.md §10 under Node's WebCrypto, both ways."""
    node = shutil.which("node")
    probe = "await crypto.subtle.generateKey({name: 'X25519'}, false, ['deriveBits'])"
    if (
        node is None
        or subprocess.run(  # noqa: PLW1510 - the return code is the answer
            [node, "--input-type=module", "-e", probe], capture_output=True, timeout=30
        ).returncode
    ):
        pytest.skip("node with WebCrypto X25519 is not available")
    blocks = re.findall(r"```js\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    exports = "export { seal, unwrapOwn, hex, fromHex };\n"
    (tmp_path / "recipe.mjs").write_text("\n".join(blocks) + exports, encoding="utf-8")
    (tmp_path / "run.mjs").write_text(_NODE_RUNNER, encoding="utf-8")
    p = PARTIES["intl"]
    plaintext = os.urandom(5555)
    (tmp_path / "plain.bin").write_bytes(plaintext)
    (tmp_path / "python.ggzy").write_bytes(_seal(p, plaintext, content_key=bytes(range(32))))
    args = {
        "opening_public": p.opening.public_key.raw.hex(),
        "bidder_public": p.bidder.public_key.raw.hex(),
        "bidder_private": p.bidder.secret.hex(),
        "signing_public": p.signing.public_key.raw.hex(),
        "signing_private": p.signing.secret.hex(),
        "tender": "白银市-2026-JS/1",
        "bidder": BIDDER,
    }
    (tmp_path / "args.json").write_text(json.dumps(args), encoding="utf-8")
    subprocess.run([node, "run.mjs"], cwd=tmp_path, check=True, timeout=60)
    assert (tmp_path / "ck.hex").read_text() == bytes(range(32)).hex()
    sealed_by_js = (tmp_path / "js.ggzy").read_bytes()
    assert _pipeline(p, sealed_by_js) == plaintext
    assert read_header(io.BytesIO(sealed_by_js)).tender_ref == "白银市-2026-JS/1"


# ---------------------------------------------------------------------------- streaming


@pytest.mark.parametrize(("name", "megabytes"), [("intl", 50), ("gm", 24)])
def test_streaming_uses_bounded_memory(tmp_path: Path, name: str, megabytes: int) -> None:
    p = PARTIES[name]
    source, sealed, opened = tmp_path / "bid.zip", tmp_path / "bid.ggzy", tmp_path / "out.zip"
    digest = p.suite.new_hash()
    with source.open("wb") as f:
        block = os.urandom(1 << 20)
        for i in range(megabytes):
            piece = i.to_bytes(4, "big") + block[4:]
            f.write(piece)
            digest.update(piece)
    size = megabytes << 20

    tracemalloc.start()
    try:
        with source.open("rb") as fin, sealed.open("wb") as fout:
            result = seal(
                fin,
                fout,
                suite=p.suite,
                opening_public_key=p.opening.public_key,
                bidder_public_key=p.bidder.public_key,
                bidder_signing_key=p.signing,
                tender_ref=TENDER,
                bidder_ref=BIDDER,
            )
        _, seal_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with sealed.open("rb") as fin, opened.open("wb") as fout:
            header = read_header(fin)
            key = unwrap_content_key(header, p.opening)
            fin.seek(0)
            outcome = open_envelope(fin, fout, key)
        _, open_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.header.commitment == digest.finalize()
    assert (
        sealed.stat().st_size
        == result.envelope_length
        == size + 13 + len(result.header.header_bytes) + megabytes * 16
    )
    assert outcome.consistent
    assert opened.stat().st_size == size
    # 1 MiB chunks: a few chunk-sized buffers at most, far below the file size.
    assert seal_peak < 8 << 20, seal_peak
    assert open_peak < 8 << 20, open_peak


def test_modules_import_no_django() -> None:
    for module in (envelope, errors, shamir, sm2, suites):
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "django" for name in names), module

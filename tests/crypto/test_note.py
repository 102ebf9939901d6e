"""C2SP signed notes and tlog cosignatures, against the published examples."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy import clock
from ggzy.crypto.note import (
    ALG_COSIGNATURE_V1,
    ALG_UNASSIGNED,
    CosignatureSigner,
    CosignatureVerifier,
    DuplicateSignatureError,
    Ed25519Signer,
    Ed25519Verifier,
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    Note,
    NoteError,
    NoteSignature,
    Signer,
    UnverifiedNoteError,
    Verifier,
    cosignature_message,
    cosignature_timestamp,
    encode_verifier_key,
    generate_signer_key,
    is_valid_key_name,
    key_id,
    open_note,
    parse_signature_line,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)

# Example of golang.org/x/mod/sumdb/note (package doc and example_test.go).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
    "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# The same doc's second signer, made by GenerateKey from an all-zero reader.
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5o"
    "vTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
PETER_NOTE = (PETER_TEXT + "\n" + PETER_SIG).encode()

# c2sp.org/signed-note example (the public key is not published).
QUASIMODO_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGI"
    "TLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
).encode()

# c2sp.org/tlog-cosignature example.
SOFA_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
W1_COSIGNATURE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2"
    "oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)

FROZEN = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def peter() -> Ed25519Signer:
    signer = parse_signer_key(PETER_SKEY)
    assert isinstance(signer, Ed25519Signer)
    return signer


def enoch() -> Ed25519Signer:
    return Ed25519Signer("EnochRoot", Ed25519PrivateKey.from_private_bytes(bytes(32)))


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --------------------------------------------------------------------------- known answers


def test_go_example_signer_key_signs_byte_for_byte() -> None:
    signer = parse_signer_key(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == 0xC74F20A3
    assert isinstance(signer, Ed25519Signer)
    assert signer.verifier_key() == PETER_VKEY
    assert signer.signer_key() == PETER_SKEY
    assert sign_note(PETER_TEXT, [signer]) == PETER_NOTE


def test_go_example_opens_with_its_vkey() -> None:
    note = open_note(PETER_NOTE, [parse_verifier_key(PETER_VKEY)])
    assert note.text == PETER_TEXT
    assert note.signatures == (parse_signature_line(PETER_SIG[:-1]),)
    assert note.unverified == ()
    assert note.signed_by("PeterNeumann", 0xC74F20A3)
    assert note.to_bytes() == PETER_NOTE


def test_go_example_cosigned_by_zero_key() -> None:
    signer = enoch()
    assert (
        signer.verifier_key() == "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    )
    note = open_note(PETER_NOTE, [parse_verifier_key(PETER_VKEY)])
    both = sign_note(note.text, [signer], keep=note.signatures)
    assert both == (PETER_TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    opened = open_note(both, [signer.verifier(), parse_verifier_key(PETER_VKEY)])
    assert [s.name for s in opened.signatures] == ["PeterNeumann", "EnochRoot"]


def test_key_id_definition() -> None:
    public = parse_verifier_key(PETER_VKEY)
    assert isinstance(public, Ed25519Verifier)
    raw = public.public_key.public_bytes_raw()
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"PeterNeumann\n\x01" + raw)
    assert key_id("PeterNeumann", b"\x01" + raw) == int.from_bytes(digest.finalize()[:4], "big")
    assert encode_verifier_key("PeterNeumann", b"\x01" + raw) == PETER_VKEY


def test_c2sp_signed_note_example_parses_and_stays_unverified() -> None:
    with pytest.raises(UnverifiedNoteError):
        open_note(QUASIMODO_NOTE, [parse_verifier_key(PETER_VKEY)])
    # The text keeps its inner blank line; the last blank line splits off signatures.
    sig = parse_signature_line(QUASIMODO_NOTE.decode().split("\n")[-2])
    assert sig.name == "quasimodo.example/salvatore"
    assert sig.key_id == 0x367BA04B
    assert len(sig.signature) == 64


def test_c2sp_cosignature_example_timestamp_and_message() -> None:
    sig = parse_signature_line(W1_COSIGNATURE)
    assert sig.name == "witness.example.com/w1"
    assert cosignature_timestamp(sig.signature) == 1679315147
    assert cosignature_message(1679315147, SOFA_CHECKPOINT.encode()) == (
        b"cosignature/v1\ntime 1679315147\n" + SOFA_CHECKPOINT.encode()
    )


# --------------------------------------------------------------------------- opening rules


def test_unknown_keys_are_skipped_but_kept() -> None:
    p = peter()
    stranger = Ed25519Signer.generate("stranger.example")
    # Same name as a known key but another key ID, and vice versa: both unknown.
    namesake = Ed25519Signer.generate("PeterNeumann")
    message = sign_note(PETER_TEXT, [stranger, namesake, p])
    note = open_note(message, [p.verifier()])
    assert [s.name for s in note.signatures] == ["PeterNeumann"]
    assert [(s.name, s.key_id) for s in note.unverified] == [
        ("stranger.example", stranger.key_id),
        ("PeterNeumann", namesake.key_id),
    ]
    assert open_note(note.to_bytes(), [p.verifier()]).signatures == note.signatures


def test_good_then_bad_signature_for_same_key_is_rejected() -> None:
    p = peter()
    bad = NoteSignature(p.name, p.key_id, bytes(64))
    for message in (
        (PETER_TEXT + "\n" + PETER_SIG + bad.line()).encode(),
        (PETER_TEXT + "\n" + bad.line() + PETER_SIG).encode(),
    ):
        with pytest.raises(InvalidSignatureError, match="PeterNeumann"):
            open_note(message, [p.verifier()])


def test_duplicate_signature_for_same_key_is_rejected() -> None:
    message = (PETER_TEXT + "\n" + PETER_SIG + PETER_SIG).encode()
    with pytest.raises(DuplicateSignatureError, match="more than once"):
        open_note(message, [parse_verifier_key(PETER_VKEY)])


def test_no_known_signature_is_unverified() -> None:
    with pytest.raises(UnverifiedNoteError):
        open_note(PETER_NOTE, [])
    with pytest.raises(UnverifiedNoteError):
        open_note(PETER_NOTE, [enoch().verifier()])


@pytest.mark.parametrize(
    "message",
    [
        b"",
        PETER_TEXT.encode(),  # no signature block
        PETER_NOTE[:-1],  # last line without newline
        PETER_TEXT.encode() + b"\n",  # blank line but no signature
        PETER_NOTE.replace(b"\xe2\x80\x94 ", b"- "),
        PETER_NOTE.replace("— PeterNeumann ".encode(), "—PeterNeumann ".encode()),
        PETER_NOTE.replace(b"PeterNeumann ", b"Peter+Neumann "),
        PETER_NOTE.replace(b"PeterNeumann x08", b"Peter\xc2\xa0Neumann x08"),  # NBSP
        PETER_NOTE.replace(b"x08go", b"x08g!"),  # not base64
        PETER_NOTE.replace(b"JnAM=", b"JnAM"),  # missing padding
        PETER_NOTE.replace(b"JnAM=", b"JnAN="),  # non-canonical trailing bits
        PETER_NOTE.replace(b"problem,", b"problem,\r"),  # control character
        PETER_NOTE.replace(b"problem,", b"problem,\t"),
        PETER_NOTE.replace(b"problem,", b"problem\xff"),  # invalid UTF-8
        PETER_TEXT.encode() + "\n— PeterNeumann AAAA\n".encode(),  # too short
    ],
)
def test_malformed_notes_are_rejected(message: bytes) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(message, [parse_verifier_key(PETER_VKEY)])


def test_signature_count_is_capped() -> None:
    p = peter()
    strangers = [
        NoteSignature(f"s{i}.example", i, bytes(64)) for i in range(100)
    ]  # 100 unknown + Peter's = 101 lines
    message = sign_note(PETER_TEXT, [p], keep=strangers)
    with pytest.raises(MalformedNoteError, match="more than 100"):
        open_note(message, [p.verifier()])
    assert len(open_note(message, [p.verifier()], max_signatures=101).unverified) == 100


def test_every_flipped_bit_of_a_signed_note_fails() -> None:
    p = peter()
    message = sign_note("a\nb\n", [p])
    assert open_note(message, [p.verifier()]).text == "a\nb\n"
    for bit in range(len(message) * 8):
        with pytest.raises(NoteError):
            open_note(flip(message, bit), [p.verifier()])


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(min_codepoint=0x20, codec="utf-8"), max_size=80), st.data())
def test_any_flipped_bit_fails_for_any_text(line: str, data: st.DataObject) -> None:
    p = peter()
    text = line + "\n"
    message = sign_note(text, [p])
    assert open_note(message, [p.verifier()]).text == text
    bit = data.draw(st.integers(0, len(message) * 8 - 1))
    with pytest.raises(NoteError):
        open_note(flip(message, bit), [p.verifier()])


def test_sign_note_rules() -> None:
    p = peter()
    with pytest.raises(MalformedNoteError, match="end in a newline"):
        sign_note("no newline", [p])
    with pytest.raises(MalformedNoteError, match="control"):
        sign_note("bell\a\n", [p])
    with pytest.raises(NoteError, match="share the key"):
        sign_note(PETER_TEXT, [p, parse_signer_key(PETER_SKEY)])
    with pytest.raises(NoteError, match="at least one"):
        sign_note(PETER_TEXT, [])
    # Re-signing replaces the kept signature of the same key.
    note = open_note(PETER_NOTE, [p.verifier()])
    assert sign_note(PETER_TEXT, [p], keep=note.signatures) == PETER_NOTE


def test_known_verifiers_must_be_distinct() -> None:
    v = parse_verifier_key(PETER_VKEY)
    with pytest.raises(NoteError, match="share"):
        open_note(PETER_NOTE, [v, parse_verifier_key(PETER_VKEY)])


# --------------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("example.com/log", True),
        ("交易中心.example/存证", True),
        ("", False),
        ("a b", False),
        ("a+b", False),
        ("a\u3000b", False),  # ideographic space
        ("a\nb", False),
        ("a\x7fb", True),
    ],
)
def test_key_names(name: str, valid: bool) -> None:
    assert is_valid_key_name(name) is valid


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [
        ("PeterNeumann+c74f20a3", "<name>"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hex"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
        ("PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=", "base64"),
        ("PeterNeumann+c74f20a3+Bhpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "type 0x06"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy", "32 bytes"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
    ],
)
def test_bad_verifier_keys(vkey: str, reason: str) -> None:
    with pytest.raises(KeyFormatError, match=reason):
        parse_verifier_key(vkey)


def test_bad_signer_keys() -> None:
    with pytest.raises(KeyFormatError, match="PRIVATE"):
        parse_signer_key(PETER_VKEY)
    with pytest.raises(KeyFormatError, match="does not match"):
        parse_signer_key(PETER_SKEY.replace("c74f20a3", "c74f20a4"))


@pytest.mark.parametrize("algorithm", [0x01, ALG_COSIGNATURE_V1])
def test_generated_keys_round_trip(algorithm: int) -> None:
    skey, vkey = generate_signer_key("witness.ggzy.example/w1", algorithm=algorithm)
    signer = parse_signer_key(skey, clock=lambda: FROZEN)
    verifier = parse_verifier_key(vkey)
    assert (signer.name, signer.key_id) == (verifier.name, verifier.key_id)
    assert skey.startswith("PRIVATE+KEY+witness.ggzy.example/w1+")
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == algorithm
    message = sign_note(SOFA_CHECKPOINT, [signer])
    assert open_note(message, [verifier]).text == SOFA_CHECKPOINT
    with pytest.raises(KeyFormatError, match="cannot generate"):
        generate_signer_key("x", algorithm=0x02)


# --------------------------------------------------------------------------- cosignatures


def test_cosignature_sign_and_verify() -> None:
    seed = bytes(range(32))
    cosigner = CosignatureSigner(
        "witness.ggzy.example/w1", Ed25519PrivateKey.from_private_bytes(seed), clock=lambda: FROZEN
    )
    plain = Ed25519Signer("witness.ggzy.example/w1", Ed25519PrivateKey.from_private_bytes(seed))
    # Same key, different type byte, different key ID.
    assert cosigner.key_id != plain.key_id
    assert cosigner.verifier_key().split("+")[2].startswith("BA")  # base64 of 0x04
    message = sign_note(SOFA_CHECKPOINT, [cosigner])
    note = open_note(message, [cosigner.verifier()])
    (sig,) = note.signatures
    assert cosignature_timestamp(sig.signature) == int(FROZEN.timestamp()) == 1735787045
    assert len(sig.signature) == 72
    # The signed message is the cosignature/v1 one, not the bare text.
    raw = sig.signature[8:]
    public = cosigner.verifier().public_key
    public.verify(raw, b"cosignature/v1\ntime 1735787045\n" + SOFA_CHECKPOINT.encode())
    assert not plain.verifier().verify(SOFA_CHECKPOINT.encode(), raw)


def test_cosignature_timestamp_is_signed() -> None:
    cosigner = CosignatureSigner.generate("w.example", clock=lambda: FROZEN)
    sig = cosigner.sign_at(SOFA_CHECKPOINT.encode(), 1000)
    verifier = cosigner.verifier()
    assert verifier.verify(SOFA_CHECKPOINT.encode(), sig)
    assert not verifier.verify(SOFA_CHECKPOINT.encode(), (1001).to_bytes(8, "big") + sig[8:])
    assert not verifier.verify(SOFA_CHECKPOINT.encode(), b"\xff" * 8 + sig[8:])
    assert not verifier.verify(SOFA_CHECKPOINT.encode(), sig[:-1])
    with pytest.raises(ValueError, match="2\\^63"):
        cosigner.sign_at(b"x\n", 2**63)


def test_cosigner_clock_defaults_to_ggzy_clock() -> None:
    cosigner = CosignatureSigner.generate("w.example")
    with clock.frozen(FROZEN):
        sig = cosigner.sign(SOFA_CHECKPOINT.encode())
    assert cosignature_timestamp(sig) == 1735787045
    naive = CosignatureSigner.generate("w.example", clock=lambda: dt.datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        naive.sign(b"x\n")


def test_cosigner_signer_key_round_trips() -> None:
    cosigner = CosignatureSigner.generate("w.example", clock=lambda: FROZEN)
    again = parse_signer_key(cosigner.signer_key(), clock=lambda: FROZEN)
    assert isinstance(again, CosignatureSigner)
    assert again.verifier_key() == cosigner.verifier_key()
    assert isinstance(parse_verifier_key(cosigner.verifier_key()), CosignatureVerifier)


# --------------------------------------------------------------------------- extension point


class _TypedVerifier:
    """A stand-in for a future 0xff type (e.g. SM2-SM3): type identifier hash, then key."""

    IDENT = b"\x00" * 4  # placeholder type identifier, for the test only

    def __init__(self, name: str, key: bytes) -> None:
        if key[:5] != bytes([ALG_UNASSIGNED]) + self.IDENT:
            raise KeyFormatError("not this 0xff type")
        self._name = name
        self._inner = Ed25519Verifier(name, Ed25519PrivateKey.generate().public_key())
        self._public = key[5:]
        self._key_id = key_id(name, key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self._public).verify(signature, message)
        except Exception:
            return False
        return True


class _TypedSigner:
    def __init__(self, name: str, private: Ed25519PrivateKey) -> None:
        self._name = name
        self._private = private
        self.public_key_bytes = (
            bytes([ALG_UNASSIGNED]) + _TypedVerifier.IDENT + private.public_key().public_bytes_raw()
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return key_id(self._name, self.public_key_bytes)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)


def test_extension_point_for_other_signature_types() -> None:
    signer = _TypedSigner("gm.ggzy.example", Ed25519PrivateKey.generate())
    assert isinstance(signer, Signer)
    vkey = encode_verifier_key(signer.name, signer.public_key_bytes)
    with pytest.raises(KeyFormatError, match="type 0xff"):
        parse_verifier_key(vkey)
    verifier = parse_verifier_key(vkey, extra_algorithms={ALG_UNASSIGNED: _TypedVerifier})
    assert isinstance(verifier, Verifier)
    message = sign_note(SOFA_CHECKPOINT, [signer, parse_signer_key(PETER_SKEY)])
    note = open_note(message, [verifier])
    assert [s.name for s in note.signatures] == ["gm.ggzy.example"]
    assert [s.name for s in note.unverified] == ["PeterNeumann"]


def test_note_dataclass_is_plain_data() -> None:
    note = Note("x\n", (NoteSignature("a", 1, b"s"),))
    assert note.unverified == ()
    assert note.signatures[0].line() == "— a AAAAAXM=\n"

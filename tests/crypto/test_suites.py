"""Round trips and failure modes of the INTL and GM cipher suites."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ggzy.crypto.errors import (
    DecryptionError,
    ErrorCode,
    InvalidParameterError,
    KeyFormatError,
    SignatureError,
)
from ggzy.crypto.suites import (
    GM,
    INTL,
    SUITES,
    KeyAlgorithm,
    PrivateKey,
    PublicKey,
    Suite,
    WrappedKey,
    get_suite,
)

SUITE_PARAMS = pytest.mark.parametrize("suite", [INTL, GM], ids=["intl", "gm"])


def test_registry() -> None:
    assert SUITES == {"intl": INTL, "gm": GM}
    assert get_suite("gm") is GM
    with pytest.raises(InvalidParameterError):
        get_suite("rsa")


def test_hash_known_answers() -> None:
    assert INTL.hash(b"abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert GM.hash(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_hkdf_sha256_rfc5869_case_1() -> None:
    okm = INTL.kdf(
        bytes.fromhex("0b" * 22),
        salt=bytes.fromhex("000102030405060708090a0b0c"),
        info=bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
        length=42,
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


@SUITE_PARAMS
def test_sign_verify_round_trip(suite: Suite) -> None:
    key = suite.generate_signing_key()
    assert key.algorithm is suite.signing_algorithm
    signature = suite.sign(key, b"commitment")
    suite.verify(key.public_key, b"commitment", signature)
    with pytest.raises(SignatureError) as info:
        suite.verify(key.public_key, b"commitmenT", signature)
    assert info.value.code == ErrorCode.SIGNATURE_INVALID
    with pytest.raises(SignatureError):
        suite.verify(suite.generate_signing_key().public_key, b"commitment", signature)
    altered = bytearray(signature)
    altered[len(altered) // 2] ^= 0x40
    with pytest.raises(SignatureError):
        suite.verify(key.public_key, b"commitment", bytes(altered))
    with pytest.raises(SignatureError):
        suite.verify(key.public_key, b"commitment", b"")


def test_signature_encodings() -> None:
    assert len(INTL.sign(INTL.generate_signing_key(), b"m")) == 64
    der = GM.sign(GM.generate_signing_key(), b"m")
    assert der[0] == 0x30  # DER SEQUENCE{r, s}
    assert 8 <= len(der) <= 72


@SUITE_PARAMS
def test_wrap_unwrap_round_trip(suite: Suite) -> None:
    recipient = suite.generate_wrapping_key()
    key = bytes(range(32))
    wrapped = suite.wrap_key(recipient.public_key, key, context=b"envelope salt")
    assert suite.unwrap_key(recipient, wrapped, context=b"envelope salt") == key
    again = suite.wrap_key(recipient.public_key, key, context=b"envelope salt")
    assert again.epk != wrapped.epk  # a fresh ephemeral key every time
    with pytest.raises(DecryptionError):
        suite.unwrap_key(suite.generate_wrapping_key(), wrapped, context=b"envelope salt")
    altered = WrappedKey(epk=wrapped.epk, wk=wrapped.wk[:-1] + bytes([wrapped.wk[-1] ^ 1]))
    with pytest.raises(DecryptionError):
        suite.unwrap_key(recipient, altered, context=b"envelope salt")


def test_wrap_sizes() -> None:
    intl = INTL.wrap_key(INTL.generate_wrapping_key().public_key, bytes(32))
    assert (len(intl.epk), len(intl.wk)) == (32, 48)
    gm = GM.wrap_key(GM.generate_wrapping_key().public_key, bytes(32))
    assert (len(gm.epk), len(gm.wk)) == (65, 64)  # C1 | C3 ‖ C2


def test_intl_wrap_binds_context() -> None:
    recipient = INTL.generate_wrapping_key()
    wrapped = INTL.wrap_key(recipient.public_key, bytes(32), context=b"one")
    with pytest.raises(DecryptionError):
        INTL.unwrap_key(recipient, wrapped, context=b"two")


def test_intl_wrap_matches_the_documented_webcrypto_recipe() -> None:
    """Unwrap with the raw steps of docs/envelope.md, as a browser would."""
    recipient = INTL.generate_wrapping_key()
    content_key = bytes(range(100, 132))
    salt = bytes(range(32))
    wrapped = INTL.wrap_key(recipient.public_key, content_key, context=salt)

    own = x25519.X25519PrivateKey.from_private_bytes(recipient.secret)
    shared = own.exchange(x25519.X25519PublicKey.from_public_bytes(wrapped.epk))
    info = b"ggzy-key-wrap-v1" + wrapped.epk + recipient.public_key.raw
    kek = HKDF(hashes.SHA256(), 32, salt, info).derive(shared)
    assert AESGCM(kek).decrypt(bytes(12), wrapped.wk, b"") == content_key


def test_intl_wrap_refuses_low_order_recipient() -> None:
    with pytest.raises(KeyFormatError):
        INTL.wrap_key(PublicKey(KeyAlgorithm.X25519, bytes(32)), bytes(32))


@SUITE_PARAMS
def test_aead_round_trip_and_tamper(suite: Suite) -> None:
    key = bytes(suite.aead_key_size)
    nonce = bytes(range(12))
    sealed = suite.aead_encrypt(key, nonce, b"bid chunk", b"aad")
    assert len(sealed) == len(b"bid chunk") + 16
    assert suite.aead_decrypt(key, nonce, sealed, b"aad") == b"bid chunk"
    for bad_nonce, bad_sealed, bad_aad in (
        (nonce, sealed, b"aaD"),
        (bytes(12), sealed, b"aad"),
        (nonce, sealed[:-1] + bytes([sealed[-1] ^ 1]), b"aad"),
        (nonce, sealed[:10], b"aad"),
    ):
        with pytest.raises(DecryptionError):
            suite.aead_decrypt(key, bad_nonce, bad_sealed, bad_aad)
    with pytest.raises(InvalidParameterError):
        suite.aead_encrypt(bytes(suite.aead_key_size + 1), nonce, b"x")
    with pytest.raises(InvalidParameterError):
        suite.aead_encrypt(key, bytes(8), b"x")


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_key_serialisation_round_trips(algorithm: KeyAlgorithm) -> None:
    private = PrivateKey.generate(algorithm)
    public = private.public_key
    assert PublicKey.from_bytes(public.to_bytes()) == public
    assert PublicKey.from_text(public.to_text()) == public
    assert public.to_text().startswith(f"{algorithm}:")
    for restored in (
        PrivateKey.from_bytes(private.to_bytes()),
        PrivateKey.from_text(private.to_text()),
    ):
        assert restored.secret == private.secret
        assert restored.public_key == public
    assert private.to_text().startswith(f"{algorithm}-private:")
    assert private.to_text() not in repr(private)
    assert private.secret.hex() not in repr(private)


def test_key_tags_and_sizes() -> None:
    ed = PrivateKey.generate(KeyAlgorithm.ED25519)
    x = PrivateKey.generate(KeyAlgorithm.X25519)
    sm = PrivateKey.generate(KeyAlgorithm.SM2)
    assert [k.public_key.to_bytes()[0] for k in (ed, x, sm)] == [0x01, 0x02, 0x03]
    assert [k.to_bytes()[0] for k in (ed, x, sm)] == [0x81, 0x82, 0x83]
    assert [len(k.public_key.to_bytes()) for k in (ed, x, sm)] == [33, 33, 66]
    assert [len(k.to_bytes()) for k in (ed, x, sm)] == [33, 33, 98]


@SUITE_PARAMS
def test_key_id(suite: Suite) -> None:
    key = suite.generate_wrapping_key().public_key
    kid = suite.key_id(key)
    assert kid == suite.hash(key.to_bytes())[:16].hex()
    assert len(kid) == 32


@pytest.mark.parametrize(
    "text",
    [
        "ed25519",  # no colon
        "rsa:AAAA",  # unknown algorithm
        "x25519:!!!!",  # not base64
        "x25519:AAAA",  # wrong length
        "x25519:" + "A" * 43,  # not canonical base64 (no padding)
        "sm2:" + "A" * 88,  # (0,0) is not on the curve
    ],
)
def test_bad_public_key_text(text: str) -> None:
    with pytest.raises(KeyFormatError):
        PublicKey.from_text(text)


def test_bad_private_keys() -> None:
    sm = PrivateKey.generate(KeyAlgorithm.SM2)
    other = PrivateKey.generate(KeyAlgorithm.SM2)
    with pytest.raises(KeyFormatError):
        PrivateKey(KeyAlgorithm.SM2, sm.secret, other.public_key)  # mismatched pair
    with pytest.raises(KeyFormatError):
        PrivateKey(KeyAlgorithm.SM2, sm.secret)  # SM2 needs its public key
    ed = PrivateKey.generate(KeyAlgorithm.ED25519)
    with pytest.raises(KeyFormatError):
        PrivateKey(
            KeyAlgorithm.ED25519, ed.secret, PrivateKey.generate(KeyAlgorithm.ED25519).public_key
        )
    with pytest.raises(KeyFormatError):
        PrivateKey.from_bytes(b"\x01" + ed.secret)  # a public tag
    with pytest.raises(KeyFormatError):
        PrivateKey.from_text(ed.public_key.to_text())


def test_suites_refuse_keys_of_the_other_family() -> None:
    ed = PrivateKey.generate(KeyAlgorithm.ED25519)
    with pytest.raises(KeyFormatError) as info:
        GM.sign(ed, b"m")
    assert info.value.code == ErrorCode.KEY_UNSUPPORTED
    with pytest.raises(KeyFormatError):
        INTL.wrap_key(ed.public_key, bytes(32))  # Ed25519 is not a wrapping key
    with pytest.raises(KeyFormatError):
        INTL.verify(PrivateKey.generate(KeyAlgorithm.SM2).public_key, b"m", b"s")


def test_error_messages_are_chinese_and_codes_stable() -> None:
    with pytest.raises(DecryptionError) as info:
        INTL.aead_decrypt(bytes(32), bytes(12), bytes(16))
    assert info.value.code == "decryption_failed"
    assert info.value.message_zh == "解密失败：密钥错误或密文已被篡改"

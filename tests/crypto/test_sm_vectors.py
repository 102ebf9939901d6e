"""Known-answer tests for SM3, SM4, SM4-GCM and SM2 (GB/T 32905 / 32907 / 32918, RFC 8998).

The SM2 library (gmssl-pyx) does not let the caller choose the nonce ``k``, so the
published signature ``(r, s)`` is verified against the public key; when the pure-Python
``gmalg`` is installed the same ``(r, s)`` is also *reproduced* from ``k``, and the two
independent implementations are checked against each other (sign/verify both ways,
encrypt/decrypt both ways — which pins the C1‖C3‖C2 order).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ggzy.crypto import sm2
from ggzy.crypto.errors import DecryptionError, KeyFormatError, SignatureError
from ggzy.crypto.suites import GM, KeyAlgorithm, PrivateKey, PublicKey

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "sm-vectors.json").read_text(encoding="utf-8")
)
SIGN = VECTORS["sm2_sign_recommended_curve"]

# Public key of the recommended-curve example (GM/T 0003.5-2012; DOMAIN.md §8.4).
SIGN_PUBLIC = bytes.fromhex(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
SIGN_PRIVATE = bytes.fromhex(SIGN["private_key"])
SIGN_MESSAGE = SIGN["msg_ascii"].encode("ascii")
SIGN_RAW = bytes.fromhex(SIGN["r"] + SIGN["s"])


def _gmalg() -> Any:
    pytest.importorskip("gmalg", reason="gmalg (dev-only cross-check) is not installed")
    return importlib.import_module("gmalg")


# ---------------------------------------------------------------------------- SM3


@pytest.mark.parametrize("vector", VECTORS["sm3"], ids=lambda v: v["msg_ascii"][:8])
def test_sm3_known_answers(vector: dict[str, str]) -> None:
    message = vector["msg_ascii"].encode("ascii")
    assert GM.hash(message).hex() == vector["digest"]
    h = GM.new_hash()
    for i in range(0, len(message), 3):  # streaming gives the same digest
        h.update(message[i : i + 3])
    assert h.finalize().hex() == vector["digest"]


# ---------------------------------------------------------------------------- SM4


@pytest.mark.parametrize("vector", VECTORS["sm4"], ids=lambda v: f"x{v['iterations']}")
def test_sm4_known_answers(vector: dict[str, Any]) -> None:
    key = bytes.fromhex(vector["key"])
    block = bytes.fromhex(vector["plaintext"])
    # ECB = the bare block cipher, which is what the GB/T 32907 vectors define.
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305
    for _ in range(vector["iterations"]):
        block = encryptor.update(block)
    assert block.hex() == vector["ciphertext"]


def test_sm4_gcm_rfc8998_appendix_a1() -> None:
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    expected = bytes.fromhex(
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        "83DE3541E4C2B58177E065A9BF7B62EC"  # tag
    )
    assert GM.aead_encrypt(key, nonce, plaintext, aad) == expected
    assert GM.aead_decrypt(key, nonce, expected, aad) == plaintext
    with pytest.raises(DecryptionError):
        GM.aead_decrypt(key, nonce, expected, aad + b"x")


# ---------------------------------------------------------------------------- SM2 signature


def test_sm2_published_signature_verifies() -> None:
    der = sm2.signature_from_raw(SIGN_RAW)
    assert sm2.signature_to_raw(der) == SIGN_RAW
    sm2.verify(SIGN_PUBLIC, SIGN_MESSAGE, der)  # default ID 1234567812345678
    sm2.verify(SIGN_PUBLIC, SIGN_MESSAGE, der, user_id=SIGN["user_id_ascii"].encode())
    GM.verify(PublicKey(KeyAlgorithm.SM2, SIGN_PUBLIC), SIGN_MESSAGE, der)


def test_sm2_published_signature_rejects_other_message_id_or_key() -> None:
    der = sm2.signature_from_raw(SIGN_RAW)
    with pytest.raises(SignatureError):
        sm2.verify(SIGN_PUBLIC, b"message digesT", der)
    with pytest.raises(SignatureError):
        sm2.verify(SIGN_PUBLIC, SIGN_MESSAGE, der, user_id=b"ALICE123@YAHOO.COM")
    _, other = sm2.generate_keypair()
    with pytest.raises(SignatureError):
        sm2.verify(other, SIGN_MESSAGE, der)


def test_sm2_example_private_key_matches_public_key() -> None:
    sm2.check_keypair(SIGN_PRIVATE, SIGN_PUBLIC)
    key = PrivateKey(KeyAlgorithm.SM2, SIGN_PRIVATE, PublicKey(KeyAlgorithm.SM2, SIGN_PUBLIC))
    signature = GM.sign(key, SIGN_MESSAGE)  # fresh k: differs from the published one
    GM.verify(key.public_key, SIGN_MESSAGE, signature)
    assert signature != sm2.signature_from_raw(SIGN_RAW)


def test_sm2_signature_reproduced_from_published_k_with_gmalg() -> None:
    gmalg = _gmalg()
    k = int(SIGN["k"], 16)
    signer = gmalg.SM2(
        SIGN_PRIVATE, SIGN["user_id_ascii"].encode(), SIGN_PUBLIC, rnd_fn=lambda _bits: k
    )
    assert signer.generate_pk(SIGN_PRIVATE) == SIGN_PUBLIC
    r, s = signer.sign(SIGN_MESSAGE)
    assert r.rjust(32, b"\0") + s.rjust(32, b"\0") == SIGN_RAW


def test_sm2_signatures_interoperate_with_gmalg() -> None:
    gmalg = _gmalg()
    private, public = sm2.generate_keypair()
    der = sm2.sign(private, public, b"bid commitment")
    raw = sm2.signature_to_raw(der)
    other = gmalg.SM2(pk=public, uid=sm2.DEFAULT_USER_ID)
    assert other.verify(b"bid commitment", raw[:32], raw[32:])
    signer = gmalg.SM2(private, sm2.DEFAULT_USER_ID, public)
    r, s = signer.sign(b"receipt")
    sm2.verify(public, b"receipt", sm2.signature_from_raw(r.rjust(32, b"\0") + s.rjust(32, b"\0")))


# ---------------------------------------------------------------------------- SM2 encryption


def test_sm2_ciphertext_is_c1_c3_c2() -> None:
    private, public = sm2.generate_keypair()
    message = b"hello"  # 5 bytes: C3 (32) and C2 (5) cannot be confused
    raw = sm2.encrypt(public, message)
    assert len(raw) == sm2.C1_SIZE + sm2.C3_SIZE + len(message)
    assert raw[0] == 0x04
    der = sm2.ciphertext_to_der(raw)
    # SM2Cipher ::= SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }
    assert der.endswith(b"\x04\x20" + raw[65:97] + b"\x04\x05" + raw[97:])
    assert sm2.ciphertext_from_der(der) == raw
    assert sm2.decrypt(private, raw) == message


def test_sm2_legacy_c1c2c3_order_converts() -> None:
    private, public = sm2.generate_keypair()
    raw = sm2.encrypt(public, b"content key bytes")
    legacy = sm2.c1c3c2_to_c1c2c3(raw)
    assert legacy != raw
    assert sm2.c1c2c3_to_c1c3c2(legacy) == raw
    with pytest.raises(DecryptionError):
        sm2.decrypt(private, legacy)  # wrong order is refused, not mis-decrypted


def test_sm2_encryption_interoperates_with_gmalg() -> None:
    gmalg = _gmalg()
    private, public = sm2.generate_keypair()
    theirs = gmalg.SM2(private, None, public)
    assert theirs.decrypt(sm2.encrypt(public, b"to gmalg")) == b"to gmalg"
    assert sm2.decrypt(private, theirs.encrypt(b"from gmalg")) == b"from gmalg"


def test_sm2_decrypt_rejects_tampering_and_wrong_key() -> None:
    private, public = sm2.generate_keypair()
    raw = sm2.encrypt(public, bytes(32))
    for position in (1, 70, len(raw) - 1):  # C1, C3, C2
        altered = bytearray(raw)
        altered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            sm2.decrypt(private, bytes(altered))
    other, _ = sm2.generate_keypair()
    with pytest.raises(DecryptionError):
        sm2.decrypt(other, raw)


def test_sm2_der_codec_is_strict() -> None:
    _, public = sm2.generate_keypair()
    der = sm2.ciphertext_to_der(sm2.encrypt(public, b"abc"))
    with pytest.raises(ValueError, match="trailing"):
        sm2.ciphertext_from_der(der + b"\x00")
    long_form = b"\x30\x81" + der[1:] if der[1] < 0x80 else der[:1] + b"\x82\x00" + der[2:]
    with pytest.raises(ValueError, match="DER"):
        sm2.ciphertext_from_der(long_form)
    with pytest.raises(SignatureError):
        sm2.signature_to_raw(sm2.signature_from_raw(SIGN_RAW) + b"\x00")


def test_sm2_key_validation() -> None:
    with pytest.raises(KeyFormatError):
        sm2.normalize_public_key(b"\x04" + bytes(64))  # (0, 0) is not on the curve
    with pytest.raises(KeyFormatError):
        sm2.check_private_key(bytes(32))  # d = 0
    with pytest.raises(KeyFormatError):
        sm2.check_private_key((sm2.CURVE_ORDER - 1).to_bytes(32, "big"))  # d = n - 1
    compressed = bytes([0x02 + (SIGN_PUBLIC[-1] & 1)]) + SIGN_PUBLIC[1:33]
    assert sm2.normalize_public_key(compressed) == SIGN_PUBLIC
    assert sm2.normalize_public_key(SIGN_PUBLIC[1:]) == SIGN_PUBLIC
    _, other = sm2.generate_keypair()
    with pytest.raises(KeyFormatError):
        sm2.check_keypair(SIGN_PRIVATE, other)


def test_hmac_sm3_backs_hkdf_sm3() -> None:
    # HKDF-SM3 (the GM suite KDF) is RFC 5869 over HMAC-SM3; cross-check one block.
    ikm, salt, info = b"\x0b" * 22, bytes(range(13)), bytes(range(0xF0, 0xFA))
    prk = hmac.HMAC(salt, hashes.SM3())
    prk.update(ikm)
    t1 = hmac.HMAC(prk.finalize(), hashes.SM3())
    t1.update(info + b"\x01")
    assert GM.kdf(ikm, salt=salt, info=info, length=32) == t1.finalize()

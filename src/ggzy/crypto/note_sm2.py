"""SM2-with-SM3 signature lines on signed notes (国密 checkpoint signatures).

C2SP signed-note reserves type ``0xff`` for signature types it does not assign, followed by a
longer identifier. This module uses ``0xff ‖ "ggzy.sm2-sm3/v1" ‖ 0x00`` as the type prefix:

* public key material (vkey): ``0xff ‖ IDENT ‖ 65-byte uncompressed SM2 public key``;
* key ID: ``SHA-256(name ‖ 0x0A ‖ 0xff ‖ IDENT ‖ public key)[:4]`` (the recommended rule);
* signature: SM2 with SM3 (GB/T 32918.2, user ID ``1234567812345678``) over the note text,
  as the 64-byte raw ``r ‖ s``;
* signer key material (skey): ``0xff ‖ IDENT ‖ 32-byte private key ‖ public key``.

Verifiers that do not know this type skip the line (as Go's ``note.Open`` does), so an SM2
line can stand beside the Ed25519 log signature without breaking standard clients.
"""

from __future__ import annotations

import base64

from ggzy.crypto import note, sm2
from ggzy.crypto.errors import CryptoError

ALG_UNASSIGNED = 0xFF
IDENT = b"ggzy.sm2-sm3/v1\x00"
_PREFIX = bytes([ALG_UNASSIGNED]) + IDENT


class Sm2Verifier:
    def __init__(self, name: str, public_key: bytes) -> None:
        self._name = name
        self._public = sm2.normalize_public_key(public_key)
        self._key_id = note.key_id(name, _PREFIX + self._public)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            sm2.verify(self._public, message, sm2.signature_from_raw(signature))
        except (CryptoError, ValueError):
            return False
        return True

    def verifier_key(self) -> str:
        return note.encode_verifier_key(self._name, _PREFIX + self._public)


class Sm2Signer:
    def __init__(self, name: str, private_key: bytes, public_key: bytes) -> None:
        sm2.check_keypair(private_key, public_key)
        self._private = private_key
        self._verifier = Sm2Verifier(name, public_key)

    @classmethod
    def generate(cls, name: str) -> Sm2Signer:
        private, public = sm2.generate_keypair()
        return cls(name, private, public)

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> int:
        return self._verifier.key_id

    def sign(self, message: bytes) -> bytes:
        der = sm2.sign(self._private, self._verifier._public, message)
        return sm2.signature_to_raw(der)

    def verifier(self) -> Sm2Verifier:
        return self._verifier

    def signer_key(self) -> str:
        material = _PREFIX + self._private + self._verifier._public
        return (
            f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+"
            f"{base64.b64encode(material).decode('ascii')}"
        )


def _split(key: bytes, what: str) -> bytes:
    if not key.startswith(_PREFIX):
        raise note.KeyFormatError(f"not a {IDENT.rstrip(bytes(1)).decode()} {what}")
    return key[len(_PREFIX) :]


def verifier_factory(name: str, key: bytes) -> note.Verifier:
    return Sm2Verifier(name, _split(key, "verifier key"))


def signer_factory(name: str, key: bytes) -> note.Signer:
    body = _split(key, "signer key")
    if len(body) != 32 + 65:
        raise note.KeyFormatError(
            "SM2 signer key must hold a 32-byte private and 65-byte public key"
        )
    return Sm2Signer(name, body[:32], body[32:])


#: pass as ``extra_algorithms`` to ``note.parse_verifier_key`` / ``note.parse_signer_key``
VERIFIERS = {ALG_UNASSIGNED: verifier_factory}
SIGNERS = {ALG_UNASSIGNED: signer_factory}

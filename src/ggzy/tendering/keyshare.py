"""The tender's opening key (开标密钥), split k-of-n among custodians (交易中心, 监督部门,
招标人/代理机构) so that no single party can open bids early.

The X25519 key pair is generated in memory at publication; the public key goes into the
announcement (bidders wrap their content keys to it); the private key is split with Shamir
(``ggzy.crypto.shamir``) and each share is sealed to its custodian's registered encryption
key, then the private key is dropped. Sealing a share (larger than a bare key) is hybrid: a
random 32-byte key is wrapped to the custodian (``Suite.wrap_key``) and encrypts the share
with AES-256-GCM, the tender and role bound as associated data.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.crypto import shamir
from ggzy.crypto.errors import CryptoError
from ggzy.crypto.suites import INTL, KeyAlgorithm, PrivateKey, PublicKey, WrappedKey
from ggzy.registry.models import EntityKey, KeyPurpose

SEALED_SHARE_FORMAT = "ggzy-sealed-share/v1"


@dataclass(frozen=True)
class OpeningKey:
    public_key_text: str
    key_id: str
    sealed: dict[str, tuple[Any, str, bytes]]  # role -> (custodian user, key id, sealed share)


def _aad(tender_id: int, role: str) -> bytes:
    return f"{SEALED_SHARE_FORMAT}|tender:{tender_id}|role:{role}".encode()


def seal_share(share: bytes, recipient: PublicKey, *, tender_id: int, role: str) -> bytes:
    key = os.urandom(32)
    wrapped = INTL.wrap_key(recipient, key, context=_aad(tender_id, role))
    nonce = os.urandom(12)
    ct = INTL.aead_encrypt(key, nonce, share, _aad(tender_id, role))
    body = {
        "format": SEALED_SHARE_FORMAT,
        "tender": tender_id,
        "role": role,
        "recipient": INTL.key_id(recipient),
        "epk": base64.b64encode(wrapped.epk).decode(),
        "wk": base64.b64encode(wrapped.wk).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ct": base64.b64encode(ct).decode(),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def open_sealed_share(blob: bytes, private_key: PrivateKey) -> bytes:
    """What a custodian runs on its own machine (``ggzy tendering unseal-share``)."""
    try:
        body = json.loads(blob)
        if body.get("format") != SEALED_SHARE_FORMAT:
            raise ValueError("not a sealed share")
        aad = _aad(int(body["tender"]), str(body["role"]))
        wrapped = WrappedKey(base64.b64decode(body["epk"]), base64.b64decode(body["wk"]))
        key = INTL.unwrap_key(private_key, wrapped, context=aad)
        return INTL.aead_decrypt(
            key, base64.b64decode(body["nonce"]), base64.b64decode(body["ct"]), aad
        )
    except (CryptoError, ValueError, KeyError, TypeError) as exc:
        raise DomainError(ErrorCode.KEY_INVALID, "无法用该私钥解开密钥分片") from exc


def custodian_key(user: Any) -> EntityKey:
    person = getattr(user, "person", None)
    key = (
        EntityKey.objects.filter(person=person, purpose=KeyPurpose.ENCRYPT, revoked_at__isnull=True)
        .order_by("-created_at")
        .first()
        if person is not None
        else None
    )
    if key is None or not key.public_key.startswith("x25519:"):
        raise DomainError(
            ErrorCode.KEY_INVALID,
            f"开标密钥保管人 {getattr(user, 'username', '?')} 尚未登记 X25519 加密公钥",
            field="custodians",
        )
    return key


def create_opening_key(tender: Any, custodians: dict[str, Any], threshold: int) -> OpeningKey:
    """Generate, split and seal; the private key leaves scope when this returns."""
    keys = {role: custodian_key(user) for role, user in custodians.items()}
    private = PrivateKey.generate(KeyAlgorithm.X25519)
    shares = shamir.split(private.secret, threshold, len(custodians))
    sealed: dict[str, tuple[Any, str, bytes]] = {}
    for (role, user), share in zip(sorted(custodians.items()), shares, strict=True):
        recipient = PublicKey.from_text(keys[role].public_key)
        sealed[role] = (
            user,
            keys[role].key_id,
            seal_share(share.to_bytes(), recipient, tender_id=tender.pk, role=role),
        )
    public = private.public_key
    return OpeningKey(public.to_text(), INTL.key_id(public), sealed)


def store_shares(tender: Any, opening: OpeningKey) -> None:
    from ggzy.tendering.models import CustodianShare

    CustodianShare.objects.bulk_create(
        CustodianShare(tender=tender, role=role, custodian=user, key_id=kid, wrapped_share=blob)
        for role, (user, kid, blob) in opening.sealed.items()
    )


def recover_private_key(shares: list[bytes], public_key_text: str) -> PrivateKey:
    """Combine released shares; the result must match the announced public key."""
    try:
        secret = shamir.combine([shamir.Share.from_bytes(s) for s in shares])
        private = PrivateKey(KeyAlgorithm.X25519, secret)
    except (CryptoError, ValueError) as exc:
        raise DomainError(ErrorCode.KEY_INVALID, "密钥分片无法合成开标私钥") from exc
    if private.public_key.to_text() != public_key_text:
        raise DomainError(ErrorCode.KEY_INVALID, "合成的私钥与公告的开标公钥不符")
    return private

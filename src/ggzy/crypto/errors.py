"""Exceptions raised by :mod:`ggzy.crypto` (密码模块异常).

Every exception carries a stable machine-readable ``code`` (an :class:`ErrorCode`,
which is a ``str``) and a Chinese message (``message_zh``) that the web layer can
show as-is. Codes never change meaning once released: API clients, the opening
record (开标记录) and the audit log store them.

The hierarchy::

    CryptoError
    ├── InvalidParameterError (also ValueError)  invalid_parameter
    ├── KeyFormatError        (also ValueError)  key_malformed / key_unsupported
    ├── SignatureError                            signature_invalid
    ├── DecryptionError                           decryption_failed
    ├── ShareError                                share_* / shares_*
    └── EnvelopeError                             envelope_* / wrong_key / commitment_mismatch …
        ├── EnvelopeSignatureError (also SignatureError)
        └── CommitmentMismatchError

This module imports nothing from Django.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ggzy.crypto.envelope import OpenResult

__all__ = [
    "CommitmentMismatchError",
    "CryptoError",
    "DecryptionError",
    "EnvelopeError",
    "EnvelopeSignatureError",
    "ErrorCode",
    "InvalidParameterError",
    "KeyFormatError",
    "ShareError",
    "SignatureError",
]


class ErrorCode(StrEnum):
    """Stable error codes (稳定错误码). Values are part of the public API."""

    INVALID_PARAMETER = "invalid_parameter"
    KEY_MALFORMED = "key_malformed"
    KEY_UNSUPPORTED = "key_unsupported"
    SIGNATURE_INVALID = "signature_invalid"
    DECRYPTION_FAILED = "decryption_failed"
    # Shamir secret sharing (门限秘密分享)
    SHARE_MALFORMED = "share_malformed"
    SHARES_INSUFFICIENT = "shares_insufficient"
    SHARES_DUPLICATE = "shares_duplicate"
    SHARES_MISMATCH = "shares_mismatch"
    SHARES_INCONSISTENT = "shares_inconsistent"
    # Sealed bid envelope (加密投标文件)
    ENVELOPE_MALFORMED = "envelope_malformed"
    ENVELOPE_UNSUPPORTED = "envelope_unsupported"
    ENVELOPE_TRUNCATED = "envelope_truncated"
    ENVELOPE_TAMPERED = "envelope_tampered"
    COMMITMENT_MISMATCH = "commitment_mismatch"
    WRONG_KEY = "wrong_key"
    INPUT_NOT_SEEKABLE = "input_not_seekable"
    INPUT_CHANGED = "input_changed"


MESSAGES_ZH: dict[ErrorCode, str] = {
    ErrorCode.INVALID_PARAMETER: "参数无效",
    ErrorCode.KEY_MALFORMED: "密钥格式错误",
    ErrorCode.KEY_UNSUPPORTED: "密钥算法与密码套件不符",
    ErrorCode.SIGNATURE_INVALID: "数字签名验证失败",
    ErrorCode.DECRYPTION_FAILED: "解密失败：密钥错误或密文已被篡改",
    ErrorCode.SHARE_MALFORMED: "密钥分片格式错误或已损坏",
    ErrorCode.SHARES_INSUFFICIENT: "密钥分片数量不足，无法恢复",
    ErrorCode.SHARES_DUPLICATE: "提交了重复的密钥分片",
    ErrorCode.SHARES_MISMATCH: "密钥分片不属于同一次拆分",
    ErrorCode.SHARES_INCONSISTENT: "密钥分片校验失败：至少一个分片被篡改或损坏",
    ErrorCode.ENVELOPE_MALFORMED: "加密投标文件格式错误",
    ErrorCode.ENVELOPE_UNSUPPORTED: "不支持的加密投标文件版本或密码套件",
    ErrorCode.ENVELOPE_TRUNCATED: "加密投标文件不完整（被截断）",
    ErrorCode.ENVELOPE_TAMPERED: "加密投标文件已被篡改（认证校验失败）",
    ErrorCode.COMMITMENT_MISMATCH: "投标文件不一致：解密文件的摘要与投标人签名的摘要不符",
    ErrorCode.WRONG_KEY: "解密密钥不正确",
    ErrorCode.INPUT_NOT_SEEKABLE: "待加密文件必须可重复读取",
    ErrorCode.INPUT_CHANGED: "加密过程中投标文件发生了变化",
}


class CryptoError(Exception):
    """Base class: every error raised on purpose by ``ggzy.crypto``."""

    default_code: ClassVar[ErrorCode] = ErrorCode.INVALID_PARAMETER

    def __init__(self, message: str = "", *, code: ErrorCode | None = None) -> None:
        self.code: ErrorCode = code if code is not None else self.default_code
        self.message = message or MESSAGES_ZH[self.code]
        super().__init__(f"{self.code}: {self.message}")

    @property
    def message_zh(self) -> str:
        """The Chinese message for :attr:`code`, for display (面向用户的提示)."""
        return MESSAGES_ZH[self.code]


class InvalidParameterError(CryptoError, ValueError):
    """A caller passed an argument outside the documented range (参数错误)."""

    default_code = ErrorCode.INVALID_PARAMETER


class KeyFormatError(CryptoError, ValueError):
    """A key could not be parsed, is invalid, or is of the wrong algorithm."""

    default_code = ErrorCode.KEY_MALFORMED


class SignatureError(CryptoError):
    """A signature did not verify (验签失败)."""

    default_code = ErrorCode.SIGNATURE_INVALID


class DecryptionError(CryptoError):
    """An AEAD tag or a key unwrap failed: wrong key or altered ciphertext."""

    default_code = ErrorCode.DECRYPTION_FAILED


class ShareError(CryptoError):
    """Shamir shares (密钥分片) are malformed, too few, duplicated or inconsistent."""

    default_code = ErrorCode.SHARE_MALFORMED


class EnvelopeError(CryptoError):
    """A sealed bid envelope (加密投标文件) cannot be read, opened or trusted."""

    default_code = ErrorCode.ENVELOPE_MALFORMED


class EnvelopeSignatureError(EnvelopeError, SignatureError):
    """The bidder's signature over the envelope header does not verify."""

    default_code = ErrorCode.SIGNATURE_INVALID


class CommitmentMismatchError(EnvelopeError):
    """Decryption succeeded but the plaintext's hash differs from the signed commitment.

    This is the 投标文件一致性判断 failing: the bidder signed one file and
    encrypted another. ``result`` holds the computed and expected digests.
    """

    default_code = ErrorCode.COMMITMENT_MISMATCH

    def __init__(self, message: str = "", *, result: OpenResult) -> None:
        super().__init__(message)
        self.result = result

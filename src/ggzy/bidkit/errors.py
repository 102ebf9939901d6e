"""Errors of the bid-preparation tool (投标工具错误).

Every failure the tool expects is a :class:`BidkitError` with a stable ``code``, a
Chinese message for the bidder and an English one for support staff. The CLI prints
them on stderr and exits with :attr:`BidkitError.exit_code` — never with a traceback:

* ``2`` — refused: bad input, failed verification, or the platform refused the request;
* ``3`` — temporary: the platform could not be reached after retries; run again to resume.

Envelope codes (``envelope_tampered``, ``wrong_key`` …) come through unchanged from
:mod:`ggzy.crypto.errors`; codes the platform sends back (``bid_deadline_passed`` …)
are kept as the platform wrote them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from ggzy.crypto.errors import CryptoError

__all__ = [
    "EXIT_REFUSED",
    "EXIT_TEMPORARY",
    "BidkitError",
    "Code",
    "ServerError",
    "TemporaryError",
    "from_crypto",
]

EXIT_REFUSED: Final = 2
EXIT_TEMPORARY: Final = 3


class Code(StrEnum):
    """The tool's own error codes (stable: scripts may test them)."""

    USAGE = "usage"
    FILE_NOT_FOUND = "file_not_found"
    FILE_EXISTS = "file_exists"
    FILE_UNREADABLE = "file_unreadable"
    KEYS_INVALID = "keys_invalid"
    KEYS_MISMATCH = "keys_mismatch"
    PRICE_FORM_INVALID = "price_form_invalid"
    PACKAGE_INVALID = "package_invalid"
    PACKAGE_MISMATCH = "package_mismatch"
    BIDDER_INVALID = "bidder_invalid"
    BIDDER_MISMATCH = "bidder_mismatch"
    SECTION_INVALID = "section_invalid"
    SECTION_MISMATCH = "section_mismatch"
    RECORD_INVALID = "record_invalid"
    RELEASE_INVALID = "release_invalid"
    NETWORK = "network_unavailable"
    SERVER_RESPONSE = "server_response_invalid"
    RECEIPT_MISMATCH = "receipt_mismatch"
    RECEIPT_SIGNATURE = "receipt_signature_invalid"


class BidkitError(Exception):
    """An expected failure: ``code`` + Chinese message + English message."""

    exit_code: int = EXIT_REFUSED

    def __init__(self, code: str, message_zh: str, message_en: str = "") -> None:
        self.code = str(code)
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{self.code}: {message_zh}" + (f" ({message_en})" if message_en else ""))

    def render(self) -> str:
        """The text the CLI prints: ``错误 error [code]: 中文 — English``."""
        text = f"错误 error [{self.code}]: {self.message_zh}"
        if self.message_en:
            text += f" — {self.message_en}"
        return text


class TemporaryError(BidkitError):
    """The platform was unreachable or kept failing (5xx) after every retry."""

    exit_code = EXIT_TEMPORARY


class ServerError(BidkitError):
    """The platform answered with an error document ``{"code", "message"}``."""

    def __init__(self, code: str, message_zh: str, message_en: str = "", *, status: int) -> None:
        super().__init__(code, message_zh, message_en)
        self.status = status


def from_crypto(exc: CryptoError, context_en: str = "") -> BidkitError:
    """Turn a :mod:`ggzy.crypto` error into a :class:`BidkitError` with the same code."""
    english = exc.message if exc.message != exc.message_zh else ""
    if context_en:
        english = f"{context_en}: {english}" if english else context_en
    return BidkitError(exc.code, exc.message_zh, english)

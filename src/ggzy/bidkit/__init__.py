"""ggzy bidkit — the bidder's offline bid-preparation tool (投标文件制作工具).

Runs on the bidder's own machine; the platform never sees a plaintext bid before the
opening (开标). The steps, each a sub-command of ``ggzy bidkit`` (see ``docs/bidkit.md``):

``keygen``       the bidder's signing key and encryption key (投标人签名密钥 / 加密密钥)
``package``      the deterministic plaintext bid package (投标文件包, a ZIP) with its
                 price form (报价单) and a manifest of SHA-256 digests
``seal``         the sealed envelope (加密投标文件, ``docs/envelope.md``) plus a record of
                 its digest, commitment and the machine fingerprint (投标文件特征码)
``verify``       the consistency check the platform runs at the opening (一致性判断)
``submit``       the resumable chunked upload to the platform, checking the receipt (回执)
``release-key``  at the decryption window, the signed key release statement (解密密钥释放)

Pure Python: nothing in this package imports Django, so the tool starts fast and can
be shipped without the platform.
"""

from __future__ import annotations

from typing import Final

from ggzy import __version__ as _ggzy_version

__all__ = ["TOOL_NAME", "TOOL_VERSION"]

TOOL_NAME: Final = "ggzy-bidkit"
TOOL_VERSION: Final[str] = _ggzy_version

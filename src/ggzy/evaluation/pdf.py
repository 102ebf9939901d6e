"""Notices as PDF (中标通知书 / 中标结果通知书) with reportlab's built-in CID font (STSong-Light,
no font files), the platform's Ed25519 signature over the content hash and a QR code (segno)
that opens the public ledger verification page.

The content hash is SHA-256 of the canonical JSON of the notice fields; it is known before the
PDF exists, so the QR code and the printed signature can carry it. The PDF's own SHA-256 is
recorded on the ledger next to it, so uploading the file on the verify page finds the entry.
"""

from __future__ import annotations

import io
from typing import Any

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered  # noqa: PLW0603 - register the CID font once per process
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def render_notice(
    *,
    title: str,
    lines: list[tuple[str, str]],
    body: str,
    verify_url: str,
    content_sha256: str,
    signature: dict[str, Any],
) -> bytes:
    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(title)
    c.setSubject(f"content-sha256 {content_sha256}")
    c.setKeywords([f"sha256:{content_sha256}", f"ed25519:{signature.get('value', '')}"])
    width, height = A4
    y = height - 30 * mm
    c.setFont(font, 20)
    c.drawCentredString(width / 2, y, title)
    y -= 16 * mm
    c.setFont(font, 11)
    for label, value in lines:
        for i, part in enumerate(_wrap(value, 34)):
            c.drawString(
                25 * mm, y, f"{label}：{part}" if i == 0 else "　" * (len(label) + 1) + part
            )
            y -= 7 * mm
    y -= 4 * mm
    for part in _wrap(body, 40):
        c.drawString(25 * mm, y, part)
        y -= 7 * mm
    # verification block
    y = 75 * mm
    c.setFont(font, 8)
    c.drawString(25 * mm, y, "本通知书由平台以 Ed25519 签名，内容摘要（SHA-256）：")
    c.drawString(25 * mm, y - 5 * mm, content_sha256)
    c.drawString(25 * mm, y - 10 * mm, f"签名密钥 {signature.get('key_id', '')}  签名值：")
    sig = str(signature.get("value", ""))
    c.drawString(25 * mm, y - 15 * mm, sig[:60])
    c.drawString(25 * mm, y - 20 * mm, sig[60:])
    c.drawString(25 * mm, y - 27 * mm, "扫描二维码或访问以下地址核验：")
    for i, part in enumerate(_wrap(verify_url, 70)):
        c.drawString(25 * mm, y - (32 + 5 * i) * mm, part)
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=4, border=2)
    qr.seek(0)
    c.drawImage(ImageReader(qr), width - 65 * mm, 30 * mm, 40 * mm, 40 * mm)
    c.showPage()
    c.save()
    return buf.getvalue()

"""Checks for uploaded attachments: size limit and real file type by magic bytes."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from ggzy.core.errors import DomainError, ErrorCode

_MAGIC = {
    b"%PDF-": ("pdf", "application/pdf"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
}


def sniff_type(head: bytes) -> str | None:
    for magic, (ext, _mime) in _MAGIC.items():
        if head.startswith(magic):
            return ext
    return None


def check_attachment(upload: UploadedFile, *, field: str = "file") -> str:
    """Validate ``upload`` (PDF/JPEG/PNG, within the size limit); return its SHA-256 hex."""
    limit = settings.GGZY_MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > limit:
        raise DomainError(
            ErrorCode.FILE_TOO_LARGE,
            f"文件过大（上限 {limit // (1024 * 1024)} MB）",
            field=field,
            detail={"limit_bytes": limit},
        )
    upload.seek(0)
    head = upload.read(16)
    if sniff_type(head) is None:
        raise DomainError(ErrorCode.FILE_TYPE, field=field)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()

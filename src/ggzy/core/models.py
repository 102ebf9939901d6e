"""Cross-cutting tables."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class IdempotencyRecord(models.Model):
    """The stored answer to a mutating API request sent with an ``Idempotency-Key``.

    A retried request with the same key (same caller) gets the same answer without running
    twice. A row with ``status`` 0 is a request still in progress.
    """

    caller = models.CharField(max_length=100)  # "user:<id>", "token:<prefix>" or "anonymous"
    key = models.CharField(max_length=200)
    request_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True, default="")
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["caller", "key"], name="core_idempotency_unique"),
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"

"""Ledger entries (存证记录): the append-only outbox every service writes to.

The Merkle tree, checkpoints and proofs over these rows come with the ledger
issue; the rule "no state change without its entry" starts here.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class Entry(models.Model):
    """One recorded event. ``id`` is the sequence number assigned at commit."""

    event_type = models.CharField(max_length=100, db_index=True)  # source:subject:action
    subject_type = models.CharField(max_length=60)
    subject_id = models.CharField(max_length=100)
    actor = models.CharField(max_length=100)  # "user:<id>" or "system:<name>"
    received_at = models.DateTimeField()  # server receipt time (UTC), authoritative
    rule_version = models.CharField(max_length=100, blank=True, default="")
    payload = models.JSONField()  # non-secret summary; secrets appear only as commitments
    payload_sha256 = models.CharField(max_length=64)
    payload_sm3 = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["subject_type", "subject_id", "id"], name="ledger_subject_idx"),
        ]
        verbose_name = "存证记录"
        verbose_name_plural = "存证记录"

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.subject_type}:{self.subject_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("ledger entries are append-only")

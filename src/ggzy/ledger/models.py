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


class EntryDigest(models.Model):
    """A file or document hash named in an entry's payload, so anyone holding the file can
    find the entry that recorded it (公开验证: 上传文件查存证)."""

    sha256 = models.CharField(max_length=64, db_index=True)
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="digests")
    field = models.CharField(max_length=100)

    class Meta:
        verbose_name = "存证文件摘要"
        verbose_name_plural = "存证文件摘要"

    def __str__(self) -> str:
        return f"{self.sha256} → #{self.entry_id}"


class LogLeaf(models.Model):
    """叶子: an entry's position in the Merkle tree, assigned once by the sequencer."""

    index = models.BigIntegerField(primary_key=True)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="leaf")
    leaf_hash = models.BinaryField()
    integrated_at = models.DateTimeField()

    class Meta:
        verbose_name = "日志叶子"
        verbose_name_plural = "日志叶子"

    def __str__(self) -> str:
        return f"leaf {self.index} = entry {self.entry_id}"


class TreeNode(models.Model):
    """存储哈希: the hash of one complete subtree; ``id`` is its stored-hash index
    (``merkle.stored_hash_index(level, index)``), so tiles and proofs read by primary key."""

    id = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField()

    class Meta:
        verbose_name = "树节点"
        verbose_name_plural = "树节点"

    def __str__(self) -> str:
        return f"node {self.id}"


class Checkpoint(models.Model):
    """检查点: the log's signed statement of its size and root (C2SP tlog-checkpoint)."""

    size = models.BigIntegerField(primary_key=True)
    root_hash = models.BinaryField()
    note = models.BinaryField()  # the signed note, log signature only
    signed_at = models.DateTimeField()

    class Meta:
        verbose_name = "检查点"
        verbose_name_plural = "检查点"
        ordering: ClassVar[list[str]] = ["-size"]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class Cosignature(models.Model):
    """见证签名: one witness's cosignature line on a checkpoint (C2SP tlog-cosignature)."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosigs")
    witness = models.CharField(max_length=200)
    line = models.TextField()
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = "见证签名"
        verbose_name_plural = "见证签名"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["checkpoint", "witness"], name="ledger_cosig_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.witness} @ {self.checkpoint_id}"


class LogState(models.Model):
    """The sequencer's resumable state (one row): tree size, compact-range frontier, and the
    low-water mark below which every entry is known to be integrated."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    frontier = models.BinaryField(default=b"\x01" + bytes(8))
    low_water = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"log size {self.size}"

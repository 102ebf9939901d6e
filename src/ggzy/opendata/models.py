"""数据共享 Open data (OCDS, 数据规范, 变更流) — models: the daily bulk dumps (每日数据包)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class Dump(models.Model):
    """One day's feed items as gzip JSON lines, with a SHA-256 manifest. The files live in
    the default storage under ``opendata/dumps/<date>/``; each is on the ledger."""

    day = models.DateField("日期（北京时间）", unique=True)
    file = models.CharField("数据文件", max_length=255)
    manifest = models.CharField("清单文件", max_length=255)
    sha256 = models.CharField("数据文件 SHA-256", max_length=64)
    size = models.BigIntegerField("字节数")
    records = models.BigIntegerField("记录数")
    first_index = models.BigIntegerField("首个日志序号", null=True)
    last_index = models.BigIntegerField("末个日志序号", null=True)
    created_at = models.DateTimeField("生成时间")

    class Meta:
        verbose_name = "每日数据包"
        verbose_name_plural = "每日数据包"
        ordering: ClassVar[list[str]] = ["-day"]

    def __str__(self) -> str:
        return f"dump {self.day}"

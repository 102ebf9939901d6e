"""合同 Contracts (合同订立, 合同公告) — models.

One :class:`Contract` per awarded section (标段/包): the written contract the tenderer
(招标人/采购人) and the winner (中标人/供应商) sign after the award notice (招标投标法第四十六条,
政府采购法第四十六条). Parties and the award price come from the award, never from input.
Every published state is kept as a :class:`ContractVersion` (version 1 = first publication,
2… = 合同更正), so the portal shows the latest and the history stays.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from ggzy.evaluation.models import EvaluationSession
from ggzy.registry.models import Organization
from ggzy.tendering.models import Tender


class Status(models.TextChoices):
    SIGNED = "signed", "已订立（未公告）"
    PUBLISHED = "published", "已公告"


class PriceForm(models.TextChoices):
    """价款形式代码 (data spec PRICE_FORM_CODE, DOMAIN §0.3)."""

    AMOUNT = "1", "金额"
    RATE = "2", "费率/比率/优惠率"
    UNIT_PRICE = "3", "单价"
    OTHER = "9", "其他"


class Contract(models.Model):
    session = models.OneToOneField(
        EvaluationSession, on_delete=models.PROTECT, related_name="contract"
    )
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="contracts")
    code = models.CharField("合同编号", max_length=100, unique=True)
    name = models.CharField("合同名称", max_length=600)
    tenderer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="招标人/采购人"
    )
    winner = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="中标人/供应商"
    )
    award_price = models.DecimalField("中标价（元）", max_digits=20, decimal_places=6)
    price = models.DecimalField("合同金额（元）", max_digits=20, decimal_places=6)
    price_reason = models.TextField("合同金额与中标价不一致的理由", blank=True, default="")
    price_form = models.CharField(
        "价款形式", max_length=1, choices=PriceForm.choices, default=PriceForm.AMOUNT
    )
    content = models.TextField("合同主要内容")
    term_days = models.PositiveIntegerField("合同期限（日）")
    quality = models.CharField("质量要求", max_length=500, blank=True, default="")
    signed_on = models.DateField("合同签订日期")
    sign_due = models.DateTimeField("应签订期限")
    sign_overdue = models.BooleanField("逾期签订", default=False)
    publish_due = models.DateTimeField("应公告期限", null=True)  # 政府采购: 2 个工作日
    publish_overdue = models.BooleanField("逾期公告", default=False)
    file = models.FileField("合同文件", upload_to="contracts/%Y/%m/", max_length=255, blank=True)
    file_name = models.CharField(max_length=255, blank=True, default="")
    file_size = models.PositiveBigIntegerField(null=True)
    file_sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SIGNED)
    recorded_at = models.DateTimeField("登记时间")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("首次公告时间", null=True)
    version = models.PositiveIntegerField(default=1)  # compare-and-set guard
    published_version = models.PositiveIntegerField(default=0)  # 0 = never published

    class Meta:
        verbose_name = "合同"
        verbose_name_plural = "合同"
        ordering: ClassVar[list[str]] = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def corrected(self) -> bool:
        return self.published_version > 1


class ContractVersion(models.Model):
    """One published state of the contract: ``number`` 1 is the first contract notice,
    later numbers are corrections (合同更正) with their written ``reason``."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    data = models.JSONField()  # the published fields, as shown
    data_sha256 = models.CharField(max_length=64)
    reason = models.TextField("更正原因", blank=True, default="")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notice_key = models.CharField(max_length=120)  # disclosure.Notice key
    # the stored signed file as of this version, so an old release's document still verifies
    file = models.FileField("合同文件", max_length=255, blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["contract", "number"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["contract", "number"], name="contracts_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} v{self.number}"

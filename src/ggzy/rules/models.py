"""Trade-type catalogue (交易目录, 应进必进), versioned rule sets (统一制度规则) and the
holiday/调休 calendar (节假日表). Rows change only through ``ggzy.rules.services``."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q


class Category(models.TextChoices):
    WORKS = "works", "工程建设"
    PROCUREMENT = "procurement", "政府采购"
    LAND = "land", "土地使用权"
    MINING = "mining", "矿业权"
    STATE_PROPERTY = "state_property", "国有产权"
    RURAL = "rural", "农村集体产权"
    FOREST = "forest", "林权与草原"
    ENVIRONMENT = "environment", "环境与资源权益"
    OTHER = "other", "其他"


class TradeType(models.Model):
    """交易类型: one entry of the trading catalogue, e.g. ``works.open`` 工程建设-公开招标."""

    code = models.CharField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    name_en = models.CharField("英文名称", max_length=100, blank=True, default="")
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    data_spec_class = models.CharField(
        "交易分类代码",
        max_length=3,
        blank=True,
        default="",
        help_text="统一交易标识码的分类代码（如 A01、D01、B01）",
    )
    description = models.TextField("适用范围", blank=True, default="")
    active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = "交易类型"
        verbose_name_plural = "交易类型"
        ordering: ClassVar[list[str]] = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    RETIRED = "retired", "已废止"


class RuleSet(models.Model):
    """规则集: the parameters one trade type runs by, from ``effective_from`` on.

    Published content never changes (a new version replaces it); its SHA-256 over canonical
    JSON is recorded on the ledger when published.
    """

    trade_type = models.ForeignKey(TradeType, on_delete=models.PROTECT, related_name="rulesets")
    version = models.CharField("版本", max_length=20)
    content = models.JSONField("规则内容")
    content_sha256 = models.CharField("内容摘要（SHA-256）", max_length=64)
    status = models.CharField(
        "状态", max_length=10, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT
    )
    effective_from = models.DateTimeField("生效时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发布人",
    )
    published_by_system = models.CharField("发布程序", max_length=60, blank=True, default="")
    retired_at = models.DateTimeField("废止时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = "规则集"
        verbose_name_plural = "规则集"
        ordering: ClassVar[list[str]] = ["trade_type__sort_order", "trade_type__code", "-version"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["trade_type", "version"], name="rules_ruleset_version"),
            # "the latest effective_from <= at" must name exactly one published set
            models.UniqueConstraint(
                fields=["trade_type", "effective_from"],
                condition=Q(status="published"),
                name="rules_ruleset_one_effective",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(effective_from__isnull=False) & Q(published_at__isnull=False)),
                name="rules_ruleset_published_has_dates",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["trade_type", "status", "effective_from"], name="rules_ruleset_in_force"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.trade_type.code}@{self.version}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "法定节假日（休息）"
    ADJUSTED_WORKDAY = "adjusted_workday", "调休上班日"


class CalendarDay(models.Model):
    """One exception to the plain week: a holiday (休) or a weekend working day (班)."""

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=20, choices=DayKind.choices)
    name = models.CharField("名称", max_length=50)
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering: ClassVar[list[str]] = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"

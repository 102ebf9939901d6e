"""信息公开 Public disclosure (公告, 检索, 订阅, 统计) — models.

``Notice`` is a plug-in index: any app publishes a notice of any trade type and stage through
``services.notice_publish``; the portal, search, feeds, subscriptions and statistics read only
this table, so a new trade type or stage needs no change here.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class Stage(models.TextChoices):
    """公告阶段, in the order a project goes through them (DOMAIN §3.3)."""

    TENDER_ANNOUNCEMENT = "tender_announcement", "招标公告"
    CLARIFICATION = "clarification", "澄清或修改公告"
    OPENING_RECORD = "opening_record", "开标记录"
    CANDIDATE_PUBLICITY = "candidate_publicity", "中标候选人公示"
    AWARD_RESULT = "award_result", "中标结果公告"
    CONTRACT = "contract", "合同公告"
    TERMINATION = "termination", "终止公告"
    FAILED = "failed", "流标公告"


STAGE_ORDER = {value: i for i, value in enumerate(Stage.values)}


class Notice(models.Model):
    """公告: one public notice about one subject (a tender/section code)."""

    key = models.CharField(max_length=120, unique=True)  # source app's idempotency key
    trade_type = models.CharField("交易类型", max_length=40)
    stage = models.CharField("公告阶段", max_length=24, choices=Stage.choices)
    region_code = models.CharField("行政区域代码", max_length=6)
    industry = models.CharField("行业", max_length=40, blank=True, default="")
    title = models.CharField("公告标题", max_length=600)
    body_html = models.TextField("公告内容")  # sanitised at write
    body_text = models.TextField("公告正文（纯文本）")
    search_text = models.TextField(default="")  # lower(title + text): the search index's source
    published_at = models.DateTimeField("发布时间")
    subject_code = models.CharField("项目/标段编号", max_length=40)
    project_code = models.CharField("项目编号", max_length=40, blank=True, default="")
    public_url = models.CharField("原文链接", max_length=500, blank=True, default="")
    source_app = models.CharField("来源", max_length=40)
    facts = models.JSONField(default=dict)  # structured figures (budget, price, bidders)

    class Meta:
        verbose_name = "公告"
        verbose_name_plural = "公告"
        ordering: ClassVar[list[str]] = ["-published_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-published_at", "-id"], name="disc_notice_pub"),
            models.Index(fields=["trade_type", "-published_at", "-id"], name="disc_notice_tt"),
            models.Index(fields=["stage", "-published_at", "-id"], name="disc_notice_stage"),
            models.Index(fields=["region_code", "-published_at", "-id"], name="disc_notice_reg"),
            models.Index(fields=["subject_code", "published_at"], name="disc_notice_subj"),
            models.Index(fields=["project_code", "published_at"], name="disc_notice_proj"),
        ]

    def __str__(self) -> str:
        return self.title


class Outbox(models.Model):
    """One notice waiting to be matched against subscriptions (written with the notice)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, db_index=True)

    def __str__(self) -> str:
        return f"outbox {self.notice_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "电子邮件"
    WEBHOOK = "webhook", "Webhook 推送"


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", "待确认"
    ACTIVE = "active", "已生效"
    CANCELLED = "cancelled", "已退订"


class Subscription(models.Model):
    """信息订阅: a filter (keyword, trade type, region, industry) and where to push."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    email = models.EmailField(blank=True, default="")
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    secret = models.BinaryField(null=True)  # webhook HMAC key, encrypted (fieldcrypt)
    keyword = models.CharField("关键词", max_length=100, blank=True, default="")
    trade_type = models.CharField("交易类型", max_length=40, blank=True, default="")
    region_code = models.CharField("行政区域代码", max_length=6, blank=True, default="")
    industry = models.CharField("行业", max_length=40, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING
    )
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True)
    cancelled_at = models.DateTimeField(null=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "trade_type"], name="disc_sub_status")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.email or self.webhook_url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已送达"
    FAILED = "failed", "发送失败"


class Delivery(models.Model):
    """One notice to one subscription; retried with exponential backoff."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True)
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["subscription", "notice"], name="disc_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.subscription_id}"


class DeliveryAttempt(models.Model):
    """推送日志: every attempt with its outcome."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"attempt {self.delivery_id} {self.ok}"


class ReminderKind(models.TextChoices):
    DEADLINE = "deadline", "投标截止临近"
    CLARIFICATION = "clarification", "招标人发布了澄清或修改"
    OPENING = "opening", "开标已开始"
    TERMINATED = "terminated", "招标已终止"


class Reminder(models.Model):
    """进度提醒 for a bidder's person on a tender it bid on (made by ``disclosure reminders``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tender_id = models.BigIntegerField()
    kind = models.CharField(max_length=15, choices=ReminderKind.choices)
    ref = models.CharField(max_length=40, blank=True, default="")
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "tender_id", "kind", "ref"], name="disc_reminder_once"
            )
        ]
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message

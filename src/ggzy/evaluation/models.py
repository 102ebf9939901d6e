"""评标 Evaluation and award (评标, 定标, 中标通知书) — models.

One :class:`EvaluationSession` per opened tender: committee, chair election, the review
steps, per-expert scores, the signed report, candidate publicity with objections, the award
and the notices, and the post-award deadlines (书面报告 15 日, 合同 30 日) as reminders.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from ggzy.registry.models import Organization
from ggzy.tendering.models import Bid, Tender


class Step(models.TextChoices):
    """The evaluation state machine (DOMAIN §3.5, T18–T26)."""

    CHAIR = "chair", "推选组长"
    QUALIFICATION = "qualification", "资格审查"
    PRELIMINARY = "preliminary", "初步评审"
    DETAILED = "detailed", "详细评审"
    PRICE = "price", "报价评分"
    TOTALS = "totals", "汇总得分"
    RANKING = "ranking", "排序"
    REPORT = "report", "评标报告签署"
    SIGNED = "signed", "评标报告已签署"
    PUBLICITY = "publicity", "中标候选人公示"
    AWARDED = "awarded", "已定标"
    FAILED = "failed", "否决所有投标"


# The steps staff advance through, in order; the others are reached by their own service.
ORDER = (
    Step.CHAIR,
    Step.QUALIFICATION,
    Step.PRELIMINARY,
    Step.DETAILED,
    Step.PRICE,
    Step.TOTALS,
    Step.RANKING,
    Step.REPORT,
    Step.SIGNED,
    Step.PUBLICITY,
    Step.AWARDED,
)
REVIEW_OPEN = frozenset({Step.QUALIFICATION, Step.PRELIMINARY, Step.DETAILED})
LOCKED = frozenset({Step.SIGNED, Step.PUBLICITY, Step.AWARDED})  # scores frozen: report signed


class EvaluationSession(models.Model):
    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="evaluation")
    step = models.CharField(max_length=16, choices=Step.choices, default=Step.CHAIR)
    template = models.JSONField("评分办法模板")
    template_label = models.CharField(max_length=80)
    template_sha256 = models.CharField(max_length=64)
    method = models.CharField(max_length=30)
    k_value = models.DecimalField("下浮系数K", max_digits=8, decimal_places=6, null=True)
    k_seed = models.CharField(max_length=200, blank=True, default="")
    k_digest = models.CharField(max_length=64, blank=True, default="")
    benchmark = models.DecimalField("评标基准价", max_digits=20, decimal_places=6, null=True)
    report = models.JSONField(default=dict)
    report_sha256 = models.CharField(max_length=64, blank=True, default="")
    report_signature = models.JSONField(default=dict)  # platform Ed25519 over the report
    publicity_from = models.DateTimeField(null=True)
    publicity_until = models.DateTimeField(null=True)
    awarded_at = models.DateTimeField(null=True)
    winner = models.ForeignKey(Bid, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "评标"
        verbose_name_plural = "评标"

    def __str__(self) -> str:
        return f"evaluation of {self.tender_id}"


class MemberKind(models.TextChoices):
    EXPERT = "expert", "评标专家"
    REPRESENTATIVE = "representative", "招标人代表"


class CommitteeMember(models.Model):
    session = models.ForeignKey(EvaluationSession, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=MemberKind.choices)
    is_chair = models.BooleanField(default=False)
    vote_for = models.ForeignKey("self", on_delete=models.PROTECT, null=True, related_name="+")
    signed_at = models.DateTimeField(null=True)
    signed_sha256 = models.CharField(max_length=64, blank=True, default="")
    dissent = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["session", "user"], name="evaluation_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.user_id}"


class BidReview(models.Model):
    """One bid under evaluation: review outcome, price, scores, rank."""

    session = models.ForeignKey(EvaluationSession, on_delete=models.PROTECT, related_name="reviews")
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="review")
    bidder = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField("投标报价", max_digits=20, decimal_places=6)
    received_at = models.DateTimeField()
    rejected = models.BooleanField(default=False)
    rejection_ground = models.CharField(max_length=10, blank=True, default="")
    rejection_reason = models.TextField(blank=True, default="")
    rejected_step = models.CharField(max_length=16, blank=True, default="")
    adjustments = models.JSONField(default=list)  # [{"reason", "amount"}] 价格调整
    evaluated_price = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    deviation = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    price_score = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    item_scores = models.JSONField(default=dict)  # criterion → mean
    total = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    rank = models.PositiveIntegerField(null=True)
    tied = models.BooleanField(default=False)
    candidate_rank = models.PositiveSmallIntegerField(null=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["received_at", "id"]

    def __str__(self) -> str:
        return f"review {self.bid_id}"


class Score(models.Model):
    """One expert's score for one criterion of one bid (EVALUATION_SCORE_DETAIL)."""

    member = models.ForeignKey(CommitteeMember, on_delete=models.PROTECT, related_name="scores")
    review = models.ForeignKey(BidReview, on_delete=models.PROTECT, related_name="scores")
    criterion = models.CharField(max_length=20)
    value = models.DecimalField(max_digits=8, decimal_places=2)
    comment = models.CharField(max_length=500, blank=True, default="")
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["member", "review", "criterion"], name="evaluation_score_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}/{self.review_id}/{self.criterion}={self.value}"


class ScoreSheet(models.Model):
    """An expert's submitted sheet for one bid (评分表提交)."""

    member = models.ForeignKey(CommitteeMember, on_delete=models.PROTECT, related_name="sheets")
    review = models.ForeignKey(BidReview, on_delete=models.PROTECT, related_name="sheets")
    submitted_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["member", "review"], name="evaluation_sheet_unique")
        ]

    def __str__(self) -> str:
        return f"sheet {self.member_id}/{self.review_id}"


class BidClarification(models.Model):
    """书面澄清 (实施条例 52): the committee asks in writing, the bidder answers in writing."""

    review = models.ForeignKey(BidReview, on_delete=models.PROTECT, related_name="clarifications")
    question = models.TextField()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    answer = models.TextField(blank=True, default="")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["asked_at", "id"]

    def __str__(self) -> str:
        return f"clarification {self.pk}"


class PublicityObjection(models.Model):
    """异议 during candidate publicity (T21): the award is paused until it is answered."""

    session = models.ForeignKey(
        EvaluationSession, on_delete=models.PROTECT, related_name="objections"
    )
    raised_by = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    raised_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    content = models.TextField()
    raised_at = models.DateTimeField()
    answer_due = models.DateTimeField()
    answer = models.TextField(blank=True, default="")
    answered_at = models.DateTimeField(null=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["raised_at", "id"]

    def __str__(self) -> str:
        return f"objection {self.pk}"


class NoticeKind(models.TextChoices):
    AWARD = "award", "中标通知书"
    RESULT = "result", "中标结果通知书"


class Notice(models.Model):
    session = models.ForeignKey(EvaluationSession, on_delete=models.PROTECT, related_name="notices")
    review = models.ForeignKey(BidReview, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=8, choices=NoticeKind.choices)
    number = models.CharField(max_length=60, unique=True)
    pdf = models.FileField(upload_to="notices/%Y/%m/", max_length=255)
    pdf_sha256 = models.CharField(max_length=64, db_index=True)
    content_sha256 = models.CharField(max_length=64)
    signature = models.JSONField(default=dict)
    issued_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "id"]

    def __str__(self) -> str:
        return self.number


class ReminderKind(models.TextChoices):
    WRITTEN_REPORT = "written_report", "招标投标情况书面报告"
    CONTRACT = "contract", "签订书面合同"


class Reminder(models.Model):
    """A post-award deadline for one user (T25, T26); ``done_at`` when fulfilled."""

    session = models.ForeignKey(
        EvaluationSession, on_delete=models.PROTECT, related_name="reminders"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    due_at = models.DateTimeField(db_index=True)
    done_at = models.DateTimeField(null=True)
    flagged_at = models.DateTimeField(null=True)  # first seen overdue

    class Meta:
        ordering: ClassVar[list[str]] = ["due_at", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["session", "user", "kind"], name="evaluation_reminder_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_at}"

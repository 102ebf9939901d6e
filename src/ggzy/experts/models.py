"""评标专家 Experts: the pool (专家库), draws (随机抽取), invitations, venues, notifications."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from ggzy.projects.models import Section
from ggzy.registry.models import TradingCentre


class ExpertStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    SUSPENDED = "suspended", "暂停"
    PENALISED = "penalised", "处罚期内"


class Title(models.TextChoices):
    """职称 (法37: senior title or equivalent)."""

    SENIOR = "senior", "高级"
    PROFESSOR = "professor", "正高级"
    EQUIVALENT = "equivalent", "具有同等专业水平"


class Expert(models.Model):
    """One expert of the province-wide pool, linked to a real-name user with the expert role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert"
    )
    specialty_codes = models.CharField("评标专业", max_length=400)  # " A0101 B0203 " (padded)
    region_code = models.CharField("所在地区", max_length=6)
    employer_uscc = models.CharField("工作单位统一社会信用代码", max_length=18)
    employer_name = models.CharField("工作单位", max_length=200)
    title = models.CharField("职称", max_length=12, choices=Title.choices)
    years = models.PositiveSmallIntegerField("从业年限")
    status = models.CharField(
        "状态", max_length=12, choices=ExpertStatus.choices, default=ExpertStatus.ACTIVE
    )
    penalty_until = models.DateField("处罚期止", null=True, blank=True)
    home_centre = models.ForeignKey(
        TradingCentre, on_delete=models.PROTECT, related_name="experts", verbose_name="所属交易中心"
    )
    shared = models.BooleanField("纳入共享专家库", default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "评标专家"
        verbose_name_plural = "评标专家"
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return f"expert {self.pk}"

    @property
    def specialties(self) -> list[str]:
        return self.specialty_codes.split()


class Unavailability(models.Model):
    """Availability calendar (不可参加评标的日期)."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="unavailable")
    day = models.DateField()

    class Meta:
        verbose_name = "不可参加日期"
        verbose_name_plural = "不可参加日期"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["expert", "day"], name="experts_unavailable_unique")
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} {self.day}"


class RelationKind(models.TextChoices):
    EMPLOYMENT = "employment", "曾任职单位"
    RELATIVE = "relative", "近亲属"
    INTEREST = "interest", "合作/经济利益关系"


class Relation(models.Model):
    """A declared relation used for avoidance (回避). ``org_uscc`` names the organisation
    (former employer, relative's employer, partner); ``person_index`` is the registry's
    blind index of a relative's ID number (never the number itself)."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField("关系类型", max_length=12, choices=RelationKind.choices)
    org_uscc = models.CharField("单位统一社会信用代码", max_length=18, blank=True, default="")
    person_index = models.CharField("身份证号索引", max_length=64, blank=True, default="")
    until = models.DateField("截止日期", null=True, blank=True)  # None: still current
    note = models.CharField("说明", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = "回避关系"
        verbose_name_plural = "回避关系"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=~Q(org_uscc="") | ~Q(person_index=""), name="experts_relation_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} {self.kind}"


class SharingPolicy(models.Model):
    """Pool-sharing policy (专家资源共享) of a trading centre."""

    centre = models.OneToOneField(TradingCentre, on_delete=models.PROTECT, related_name="+")
    shares_out = models.BooleanField("本地专家可被其他交易中心抽取", default=True)
    draws_from = models.JSONField("可抽取的交易中心（空 = 全部共享中心）", default=list)

    class Meta:
        verbose_name = "专家共享策略"
        verbose_name_plural = "专家共享策略"

    def __str__(self) -> str:
        return f"sharing {self.centre_id}"


class Venue(models.Model):
    """评标场地 (EVALUATION_PLACE): a room of a trading centre usable as 主场 or 副场."""

    code = models.CharField("场地编码", max_length=30, unique=True)
    centre = models.ForeignKey(TradingCentre, on_delete=models.PROTECT, related_name="venues")
    name = models.CharField("名称", max_length=100)
    room = models.CharField("评标室", max_length=50, blank=True, default="")
    region_code = models.CharField("所在地区", max_length=6)
    seats = models.PositiveSmallIntegerField("席位", default=9)

    class Meta:
        verbose_name = "评标场地"
        verbose_name_plural = "评标场地"
        ordering: ClassVar[list[str]] = ["code"]

    def __str__(self) -> str:
        return self.name


class DrawStatus(models.TextChoices):
    REQUESTED = "requested", "已申请"
    DRAWN = "drawn", "已抽取"
    CANCELLED = "cancelled", "已取消"


class DrawRequest(models.Model):
    """专家抽取申请: conditions, avoidance list, pool snapshot and seed, fixed together."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="expert_draws")
    centre = models.ForeignKey(TradingCentre, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=DrawStatus.choices, default="requested")
    algorithm = models.CharField(max_length=20)
    spec = models.JSONField()  # DrawSpec.as_dict(): published after release
    request_sha256 = models.CharField(max_length=64)
    checkpoint_size = models.BigIntegerField()
    checkpoint_root = models.CharField(max_length=64)  # hex
    seed = models.CharField(max_length=64)  # hex
    pool_sha256 = models.CharField(max_length=64)
    pool_size = models.PositiveIntegerField()
    pool_encrypted = models.BinaryField()  # zlib + field encryption of the canonical snapshot
    release_at = models.DateTimeField("名单解密时间（评标开始）")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "专家抽取申请"
        verbose_name_plural = "专家抽取申请"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # one live draw per section: a new one needs the old one cancelled (with reason)
            models.UniqueConstraint(
                fields=["section"],
                condition=Q(status__in=["requested", "drawn"]),
                name="experts_one_live_draw_per_section",
            )
        ]

    def __str__(self) -> str:
        return f"draw request {self.pk}"


class Draw(models.Model):
    """The outcome: the protected list (encrypted until ``release_at``) and its commitments."""

    request = models.OneToOneField(DrawRequest, on_delete=models.PROTECT, related_name="draw")
    ran_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ran_at = models.DateTimeField()
    state_encrypted = models.BinaryField()  # members, reserves, declines (expert ids)
    commitments = models.JSONField(default=list)  # hex, initial then one per replacement
    members = models.PositiveSmallIntegerField()
    excluded = models.JSONField(default=dict)  # reason → count (no names)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "专家抽取结果"
        verbose_name_plural = "专家抽取结果"

    def __str__(self) -> str:
        return f"draw {self.pk}"

    @property
    def commitment(self) -> str:
        return str(self.commitments[-1]) if self.commitments else ""


class InvitationStatus(models.TextChoices):
    INVITED = "invited", "待确认"
    CONFIRMED = "confirmed", "已确认参加"
    DECLINED = "declined", "已拒绝"
    CANCELLED = "cancelled", "抽取已取消"


class Invitation(models.Model):
    """An expert's seat on a drawn committee (通知、确认、签到)."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="invitations")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="invitations")
    line = models.PositiveSmallIntegerField()
    venue_code = models.CharField(max_length=30, blank=True, default="")
    status = models.CharField(max_length=12, choices=InvitationStatus.choices, default="invited")
    reason = models.CharField("拒绝/回避理由", max_length=200, blank=True, default="")
    responded_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "评标邀请"
        verbose_name_plural = "评标邀请"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["draw", "expert"], name="experts_invitation_unique")
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class Notification(models.Model):
    """站内通知 (in-app notification); no project details for draw invitations."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

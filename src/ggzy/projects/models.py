"""Projects (项目, data spec 500), tender projects (招标项目, 501) and sections/lots
(标段（包）, 502). Field names follow the national data spec where it names them."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from ggzy.registry.models import Department, Organization, TradingCentre


class Project(models.Model):
    """项目: what was approved (审批/核准/备案); registered once on entry (进场登记)."""

    code = models.CharField("项目编号", max_length=17, unique=True)  # PROJECT_CODE
    name = models.CharField("项目名称", max_length=600)
    centre = models.ForeignKey(TradingCentre, on_delete=models.PROTECT, related_name="projects")
    region_code = models.CharField("项目所在行政区域代码", max_length=6)
    legal_person = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="owned_projects",
        verbose_name="项目法人",
    )
    invest_project_code = models.CharField(
        "投资项目统一代码", max_length=24, blank=True, default=""
    )
    address = models.CharField("项目地址", max_length=2000, blank=True, default="")
    industries_type = models.CharField("项目行业分类", max_length=3, blank=True, default="")
    fund_source = models.CharField("资金来源", max_length=1000, blank=True, default="")
    project_scale = models.TextField("项目规模", blank=True, default="")
    budget = models.DecimalField("投资估算/预算（元）", max_digits=20, decimal_places=6, null=True)
    contactor = models.CharField("联系人", max_length=100, blank=True, default="")
    contact_information = models.CharField("联系方式", max_length=100, blank=True, default="")
    approval_name = models.CharField("项目审批文件名称", max_length=500, blank=True, default="")
    approval_number = models.CharField("项目审批文号", max_length=100, blank=True, default="")
    approval_authority = models.CharField("项目审批单位", max_length=200, blank=True, default="")
    approval_date = models.DateField("审批日期", null=True, blank=True)
    approval_result = models.TextField("审批结果（招标范围/方式/组织形式）", blank=True, default="")
    source = models.CharField("来源", max_length=100, default="manual")  # manual | import:<name>
    source_ref = models.CharField("来源记录号", max_length=200, blank=True, default="")
    created_at = models.DateTimeField("项目建立时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="projects_project_unique_source_ref",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class TenderMode(models.TextChoices):
    """招标方式 (TENDER_MODE)."""

    OPEN = "1", "公开招标"
    INVITE = "2", "邀请招标"
    OTHER = "9", "其他"


class OrganizeForm(models.TextChoices):
    """招标组织形式 (TENDER_ORGANIZE_FORM)."""

    SELF = "1", "自行招标"
    ENTRUSTED = "2", "委托招标"


class TenderProject(models.Model):
    """招标项目: one procurement under a project, run under one trade type's rule set."""

    code = models.CharField("招标项目编号", max_length=20, unique=True)  # TENDER_PROJECT_CODE
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="tenders")
    name = models.CharField("招标项目名称", max_length=600)
    trade_type_code = models.CharField("交易类型", max_length=40)  # rules.TradeType.code
    tender_mode = models.CharField("招标方式", max_length=1, choices=TenderMode.choices)
    organize_form = models.CharField("招标组织形式", max_length=1, choices=OrganizeForm.choices)
    is_to_law = models.BooleanField("是否依法必须招标", default=True)
    tender_content = models.TextField("招标内容与范围及招标方案说明", blank=True, default="")
    tenderer = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="tender_projects",
        verbose_name="招标人",
    )
    agency = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agency_projects",
        verbose_name="招标代理机构",
    )
    supervise_dept = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, verbose_name="监督部门"
    )
    region_code = models.CharField("招标项目所在行政区域代码", max_length=6)
    created_at = models.DateTimeField("招标项目建立时间")

    class Meta:
        verbose_name = "招标项目"
        verbose_name_plural = "招标项目"
        ordering: ClassVar[list[str]] = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Section(models.Model):
    """标段（包）: the unit that is announced, bid on, opened and awarded."""

    code = models.CharField("标段（包）编号", max_length=23, unique=True)  # BID_SECTION_CODE
    tender_project = models.ForeignKey(
        TenderProject, on_delete=models.PROTECT, related_name="sections"
    )
    name = models.CharField("标段（包）名称", max_length=500)
    attempt = models.PositiveSmallIntegerField("标段（包）招标次数", default=1)  # BID_ECTION_NUM
    unified_deal_code = models.CharField("统一交易标识码", max_length=40, unique=True)
    region_code = models.CharField("标段（包）所在行政区域代码", max_length=6)
    tra_place_code = models.CharField("交易发生行政区域代码", max_length=6)
    content = models.TextField("标段（包）内容", blank=True, default="")
    classify_codes = models.CharField("标段（包）分类代码", max_length=30, blank=True, default="")
    estimated_price = models.DecimalField(
        "标段合同估算价（元）", max_digits=20, decimal_places=6
    )  # CONTRACT_RECKON_PRICE
    max_price = models.DecimalField(
        "最高投标限价（元）", max_digits=20, decimal_places=6, null=True, blank=True
    )
    qualification = models.TextField("投标人资格条件", blank=True, default="")
    begin_date = models.DateField("计划开工日期", null=True, blank=True)
    limit_days = models.PositiveIntegerField("工期（日历天）", null=True, blank=True)
    created_at = models.DateTimeField("标段(包)建立时间")

    class Meta:
        verbose_name = "标段（包）"
        verbose_name_plural = "标段（包）"
        ordering: ClassVar[list[str]] = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class CodeSequence(models.Model):
    """Per-scope counters for issuing codes without gaps or duplicates under concurrency."""

    scope = models.CharField(max_length=60, primary_key=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope}={self.value}"

"""Request and response shapes of the projects API (项目入场). Lengths follow the data spec
(tables 500–502); money is a decimal string in 元 with at most 14 integer and 6 decimal digits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field


class ProjectIn(Schema):
    name: str = Field(min_length=1, max_length=600, description="项目名称 PROJECT_NAME")
    region_code: str = Field(description="项目所在行政区域代码 REGION_CODE (GB/T 2260)")
    legal_person_uscc: str = Field(description="项目法人统一社会信用代码（须已在主体库注册）")
    centre_code: str | None = Field(None, description="交易中心编码；缺省为本人所在或唯一的中心")
    address: str = Field(min_length=1, max_length=2000, description="项目地址 ADDRESS")
    industries_type: str = Field(
        pattern=r"^[A-T]\d{2}$", description="项目行业分类 INDUSTRIES_TYPE（GB/T 4754，如 E48）"
    )
    fund_source: str = Field(min_length=1, max_length=1000, description="资金来源 FUND_SOURCE")
    project_scale: str = Field(min_length=1, max_length=4000, description="项目规模 PROJECT_SCALE")
    contactor: str = Field(min_length=1, max_length=100, description="联系人 CONTACTOR")
    contact_information: str = Field(min_length=1, max_length=100, description="联系方式")
    approval_name: str = Field(min_length=1, max_length=500, description="项目审批文件名称")
    invest_project_code: str = Field(
        "", pattern=r"^(\d{4}-[0-9A-Z-]{19})?$", description="投资项目统一代码（24 位）"
    )
    approval_number: str = Field("", max_length=100, description="项目审批文号")
    approval_authority: str = Field("", max_length=200, description="项目审批单位")
    approval_date: dt.date | None = Field(None, description="审批日期")
    approval_result: str = Field(
        "", max_length=2000, description="审批结果（招标范围/方式/组织形式）"
    )
    budget: Decimal | None = Field(
        None, gt=0, max_digits=20, decimal_places=6, description="项目预算（元）"
    )


class OrgRef(Schema):
    uscc: str
    name: str


class SectionOut(Schema):
    code: str
    tender_project_code: str
    name: str
    attempt: int
    unified_deal_code: str
    region_code: str
    tra_place_code: str
    content: str
    classify_codes: str
    estimated_price: Decimal
    max_price: Decimal | None
    qualification: str
    begin_date: dt.date | None
    limit_days: int | None
    created_at: dt.datetime


class SectionSummary(Schema):
    code: str
    name: str
    unified_deal_code: str
    estimated_price: Decimal


class TenderOut(Schema):
    code: str
    project_code: str
    name: str
    trade_type_code: str
    tender_mode: str
    organize_form: str
    is_to_law: bool
    tender_content: str
    tenderer: OrgRef
    agency: OrgRef | None
    supervise_dept_code: str | None
    region_code: str
    created_at: dt.datetime
    sections: list[SectionSummary]


class TenderSummary(Schema):
    code: str
    name: str
    trade_type_code: str
    tender_mode: str
    sections: list[SectionSummary]


class ProjectSummary(Schema):
    code: str
    name: str
    region_code: str
    legal_person: OrgRef
    invest_project_code: str
    source: str
    created_at: dt.datetime


class ProjectOut(ProjectSummary):
    centre_code: str
    address: str
    industries_type: str
    fund_source: str
    project_scale: str
    budget: Decimal | None
    contactor: str
    contact_information: str
    approval_name: str
    approval_number: str
    approval_authority: str
    approval_date: dt.date | None
    approval_result: str
    source_ref: str
    tenders: list[TenderSummary]


class ProjectPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ProjectSummary]


class TenderIn(Schema):
    name: str = Field(min_length=1, max_length=600, description="招标项目名称")
    trade_type_code: str = Field(
        min_length=1, max_length=40, description="交易类型（规则目录编码）"
    )
    tenderer_uscc: str | None = Field(None, description="招标人；缺省为项目法人")
    tender_mode: str = Field("1", description="招标方式：1 公开招标，2 邀请招标，9 其他")
    organize_form: str = Field("1", description="招标组织形式：1 自行招标，2 委托招标")
    agency_uscc: str | None = Field(None, description="招标代理机构（委托招标时必填）")
    supervise_dept_code: str | None = Field(None, description="监督部门编码")
    tender_content: str = Field("", max_length=20000, description="招标内容与范围及招标方案说明")
    is_to_law: bool = Field(True, description="是否依法必须招标")


class SectionIn(Schema):
    name: str = Field(min_length=1, max_length=500, description="标段（包）名称")
    estimated_price: Decimal = Field(
        gt=0, max_digits=20, decimal_places=6, description="标段合同估算价（元）"
    )
    max_price: Decimal | None = Field(
        None, gt=0, max_digits=20, decimal_places=6, description="最高投标限价（元）"
    )
    content: str = Field("", max_length=20000, description="标段（包）内容")
    qualification: str = Field("", max_length=20000, description="投标人资格条件")
    classify_codes: str = Field("", max_length=30, description="标段（包）分类代码，如 A08")
    begin_date: dt.date | None = Field(None, description="计划开工日期")
    limit_days: int | None = Field(None, ge=1, le=99999, description="工期（日历天）")
    attempt: int = Field(1, ge=1, le=9, description="招标次数")


class ImportIn(Schema):
    records: list[dict[str, Any]] = Field(
        max_length=1000, description="PROJECT (500) 记录，字段名见 docs/projects.md"
    )
    source: str = Field("api", description="来源名称（与记录号一起用于查重）")
    all_or_nothing: bool = Field(False, description="有任何一条不合格则全部不导入")
    dry_run: bool = Field(False, description="只校验，不导入")


class FieldIssueOut(Schema):
    field: str | None
    code: str
    message: str


class RecordResultOut(Schema):
    index: int
    source_ref: str
    status: str = Field(description="imported | skipped | rejected | valid")
    project_code: str
    errors: list[FieldIssueOut]
    warnings: list[FieldIssueOut]


class ImportReportOut(Schema):
    source: str
    all_or_nothing: bool
    dry_run: bool
    ok: bool
    total: int
    imported: int
    skipped: int
    rejected: int
    valid: int
    error: FieldIssueOut | None
    ignored_fields: list[str]
    records: list[RecordResultOut]

"""Request and response shapes of the registry API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field


class OrganizationIn(Schema):
    uscc: str = Field(min_length=1, max_length=40, description="统一社会信用代码")
    name: str = Field(max_length=200)
    kind: str = Field(
        description="enterprise | institution | government | social | rural_collective | individual"
    )
    region_code: str = Field(description="GB/T 2260 行政区划代码")
    legal_representative: str = Field(max_length=50)
    roles: list[str] = Field(description="tenderer | agency | bidder")
    address: str = ""
    contact_phone: str = ""
    registered_capital: Decimal | None = Field(
        None, description="万元", max_digits=20, decimal_places=6
    )
    established_on: dt.date | None = None
    business_scope: str = ""


class OrganizationPatch(Schema):
    expected_version: int
    name: str | None = None
    legal_representative: str | None = None
    address: str | None = None
    contact_phone: str | None = None
    business_scope: str | None = None


class OrganizationSummary(Schema):
    uscc: str
    name: str
    kind: str
    region_code: str
    status: str


class OrganizationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[OrganizationSummary]


class SignatureOut(Schema):
    algorithm: str
    key_id: str
    value: str


class SignedProfileOut(Schema):
    document: dict[str, object]
    signature: SignatureOut


class QualificationOut(Schema):
    id: int
    qual_type: str
    grade: str
    certificate_no: str
    issuer: str
    valid_from: dt.date
    valid_to: dt.date
    file_sha256: str


class PerformanceOut(Schema):
    id: int
    project_name: str
    client_name: str
    contract_amount: Decimal
    completed_on: dt.date
    file_sha256: str


class MemberIn(Schema):
    id_type: str = "01"
    id_number: str
    role: str
    is_admin: bool = False


class MemberOut(Schema):
    id: int
    person_name: str
    id_masked: str
    role: str
    is_admin: bool
    status: str


class GrantIn(Schema):
    id_type: str = "01"
    id_number: str
    role: str
    centre_code: str | None = None
    department_code: str | None = None
    organization_uscc: str | None = None


class PlatformKeyOut(Schema):
    algorithm: str
    key_id: str
    public_key: str
    platform: str
    platform_code: str

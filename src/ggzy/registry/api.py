"""Registry API: register once, verify anywhere (一网注册、全省通用)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from ggzy.accounts.permissions import Perm, require
from ggzy.core import platform_key
from ggzy.core.auth import request_user
from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.registry import selectors, services
from ggzy.registry.schemas import (
    GrantIn,
    MemberIn,
    MemberOut,
    OrganizationIn,
    OrganizationPage,
    OrganizationPatch,
    OrganizationSummary,
    PerformanceOut,
    PlatformKeyOut,
    QualificationOut,
    SignedProfileOut,
)

router = Router(tags=["registry 市场主体"])
platform_router = Router(tags=["platform 平台"])


def _signed_profile(uscc: str) -> dict[str, Any]:
    org = selectors.organization_get(uscc)
    body = {
        "type": "ggzy.entity-profile/v1",
        "issuer": platform_key.public_key_info()["platform"],
        "profile": services.public_profile(org),
    }
    # canonical JSON turns dates and decimals into strings once, so the signed bytes and
    # the returned document are the same thing.
    document = json.loads(canonical_json(body))
    return platform_key.sign_document(document)


@router.get("", response=OrganizationPage, summary="搜索市场主体 Search entities")
def list_entities(
    request: HttpRequest,
    q: str = "",
    kind: str = "",
    region_code: str = "",
    role: str = "",
    page: int = Query(1, ge=1),  # type: ignore[type-arg]
    page_size: int = Query(20, ge=1, le=100),  # type: ignore[type-arg]
) -> dict[str, Any]:
    qs = selectors.organization_search(q=q, kind=kind, region_code=region_code, role=role)
    pager = Paginator(qs, page_size)
    current = pager.get_page(page)
    return {
        "count": pager.count,
        "page": current.number,
        "page_size": page_size,
        "results": list(current.object_list),
    }


@router.post(
    "",
    response={201: OrganizationSummary},
    summary="注册市场主体 Register an organisation",
)
def register_entity(request: HttpRequest, body: OrganizationIn) -> Status[Any]:
    org = services.organization_register(actor=request_user(request), **body.dict())
    return Status(201, org)


@router.get(
    "/{uscc}",
    response=SignedProfileOut,
    summary="核验市场主体 Signed public profile",
    description="Public profile signed by the platform key (GET /api/v1/platform/key), so "
    "another platform can trust it offline: verify the Ed25519 signature over the canonical "
    "JSON (sorted keys, no spaces, UTF-8) of `document`.",
)
def get_entity(request: HttpRequest, uscc: str) -> dict[str, Any]:
    return _signed_profile(uscc)


@router.patch("/{uscc}", response=OrganizationSummary, summary="修改主体信息 Update")
def update_entity(request: HttpRequest, uscc: str, body: OrganizationPatch) -> Any:
    org = selectors.organization_get(uscc)
    changes = {k: v for k, v in body.dict(exclude={"expected_version"}).items() if v is not None}
    return services.organization_update(
        actor=request_user(request),
        organization=org,
        expected_version=body.expected_version,
        **changes,
    )


@router.post(
    "/{uscc}/qualifications",
    response={201: QualificationOut},
    summary="登记资质 Add a qualification (multipart)",
)
def add_qualification(
    request: HttpRequest,
    uscc: str,
    qual_type: Form[str],
    certificate_no: Form[str],
    issuer: Form[str],
    valid_from: Form[dt.date],
    valid_to: Form[dt.date],
    grade: Form[str] = "",
    file: UploadedFile | None = File(None),  # type: ignore[type-arg]  # noqa: B008
) -> Status[Any]:
    org = selectors.organization_get(uscc)
    qual = services.qualification_add(
        actor=request_user(request),
        organization=org,
        qual_type=qual_type,
        certificate_no=certificate_no,
        issuer=issuer,
        valid_from=valid_from,
        valid_to=valid_to,
        grade=grade,
        file=file,
    )
    return Status(201, qual)


@router.post(
    "/{uscc}/performances",
    response={201: PerformanceOut},
    summary="登记业绩 Add a performance record (multipart)",
)
def add_performance(
    request: HttpRequest,
    uscc: str,
    project_name: Form[str],
    client_name: Form[str],
    contract_amount: Form[Decimal],
    completed_on: Form[dt.date],
    started_on: Form[dt.date] | None = None,
    description: Form[str] = "",
    file: UploadedFile | None = File(None),  # type: ignore[type-arg]  # noqa: B008
) -> Status[Any]:
    org = selectors.organization_get(uscc)
    perf = services.performance_add(
        actor=request_user(request),
        organization=org,
        project_name=project_name,
        client_name=client_name,
        contract_amount=contract_amount,
        completed_on=completed_on,
        started_on=started_on,
        description=description,
        file=file,
    )
    return Status(201, perf)


def _member_out(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "person_name": m.person.name,
        "id_masked": m.person.id_number_masked,
        "role": m.role,
        "is_admin": m.is_admin,
        "status": m.status,
    }


@router.get("/{uscc}/members", response=list[MemberOut], summary="主体人员 Members")
def list_members(request: HttpRequest, uscc: str) -> list[dict[str, Any]]:
    org = selectors.organization_get(uscc)
    services.require_manage(request_user(request), org, Perm.REGISTRY_MEMBERSHIP_WRITE)
    return [_member_out(m) for m in selectors.organization_members(org)]


@router.post("/{uscc}/members", response={201: MemberOut}, summary="添加经办人 Add a member")
def add_member(request: HttpRequest, uscc: str, body: MemberIn) -> Status[Any]:
    org = selectors.organization_get(uscc)
    user = request_user(request)
    services.require_manage(user, org, Perm.REGISTRY_MEMBERSHIP_WRITE)
    person = selectors.person_by_id_number(body.id_type, body.id_number)
    m = services.membership_grant(
        actor=user, person=person, role=body.role, organization=org, is_admin=body.is_admin
    )
    return Status(201, _member_out(m))


@platform_router.get("/key", response=PlatformKeyOut, summary="平台公钥 Platform public key")
def get_platform_key(request: HttpRequest) -> dict[str, str]:
    return platform_key.public_key_info()


@platform_router.post(
    "/memberships",
    response={201: MemberOut},
    summary="授予角色 Grant a centre-managed role (staff)",
)
def grant_membership(request: HttpRequest, body: GrantIn) -> Status[Any]:
    user = request_user(request)
    require(user, Perm.REGISTRY_MEMBERSHIP_GRANT)
    person = selectors.person_by_id_number(body.id_type, body.id_number)
    m = services.membership_grant(
        actor=user,
        person=person,
        role=body.role,
        centre=selectors.centre_get(body.centre_code) if body.centre_code else None,
        department=(
            selectors.department_get(body.department_code) if body.department_code else None
        ),
        organization=(
            selectors.organization_get(body.organization_uscc) if body.organization_uscc else None
        ),
    )
    return Status(201, _member_out(m))


class KeyIn(Schema):
    purpose: str = Field(description="sign | encrypt")
    public_key: str = Field(description="ed25519:/x25519:/sm2: + base64 (ggzy bidkit keygen)")


class KeyOut(Schema):
    id: int
    purpose: str
    public_key: str
    key_id: str


@router.post("/{uscc}/keys", response={201: KeyOut}, summary="登记主体公钥 Register a key")
def add_entity_key(request: HttpRequest, uscc: str, body: KeyIn) -> Status[Any]:
    key = services.entity_key_register(
        actor=request_user(request),
        organization=selectors.organization_get(uscc),
        purpose=body.purpose,
        public_key=body.public_key,
    )
    return Status(201, key)


@platform_router.post("/my-keys", response={201: KeyOut}, summary="登记个人公钥（开标密钥保管人）")
def add_my_key(request: HttpRequest, body: KeyIn) -> Status[Any]:
    user = request_user(request)
    person = selectors.person_of(user)
    if person is None:
        raise DomainError(ErrorCode.PERSON_REQUIRED)
    key = services.entity_key_register(
        actor=user, person=person, purpose=body.purpose, public_key=body.public_key
    )
    return Status(201, key)

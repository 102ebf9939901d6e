"""评标专家 Experts (专家库, 随机抽取) — API, mounted at ``/api/v1/experts``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from ggzy.core.auth import request_user
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.experts import draws, selectors, services, transfer
from ggzy.experts.models import Draw, DrawRequest, Expert, Invitation
from ggzy.experts.specialties import classification
from ggzy.experts.verify import verify_request
from ggzy.projects.models import Section
from ggzy.registry.models import TradingCentre

router = Router(tags=["experts 评标专家"])


def _expert(expert_id: int) -> Expert:
    e = Expert.objects.select_related("user__person", "home_centre").filter(pk=expert_id).first()
    if e is None:
        raise DomainError(ErrorCode.EXPERT_NOT_FOUND)
    return e


def _centre(code: str) -> TradingCentre:
    c = TradingCentre.objects.filter(code=code).first()
    if c is None:
        raise DomainError(ErrorCode.VALIDATION, f"交易中心 {code} 不存在", field="centre")
    return c


# --------------------------------------------------------------------------- pool


class SpecialtyOut(Schema):
    code: str
    name: str
    parent: str


@router.get("/specialties", response=list[SpecialtyOut], summary="评标专业分类")
def specialties(request: HttpRequest) -> list[dict[str, str]]:
    return [
        {"code": s.code, "name": s.name, "parent": s.parent}
        for s in classification().items.values()
    ]


class ExpertIn(Schema):
    username: str
    specialties: list[str] = Field(min_length=1, max_length=10)
    region_code: str
    employer_uscc: str
    employer_name: str
    title: str
    years: int = Field(ge=0, le=80)
    home_centre: str
    shared: bool = True


class ExpertOut(Schema):
    id: int
    name: str
    specialties: list[str]
    region_code: str
    employer_uscc: str
    employer_name: str
    title: str
    years: int
    status: str
    penalty_until: dt.date | None
    home_centre: str
    shared: bool
    version: int


def _expert_out(e: Expert) -> dict[str, Any]:
    return {
        "id": e.pk,
        "name": e.user.person.name,
        "specialties": e.specialties,
        "region_code": e.region_code,
        "employer_uscc": e.employer_uscc,
        "employer_name": e.employer_name,
        "title": e.title,
        "years": e.years,
        "status": e.status,
        "penalty_until": e.penalty_until,
        "home_centre": e.home_centre.code,
        "shared": e.shared,
        "version": e.version,
    }


@router.get("/pool", response=list[ExpertOut], summary="专家库查询（交易中心）")
def pool(
    request: HttpRequest,
    q: str = "",
    specialty: str = "",
    region: str = "",
    status: str = "",
    offset: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    qs = selectors.pool_search(
        request_user(request), q=q, specialty=specialty, region=region, status=status
    )
    limit = max(1, min(limit, 200))
    return [_expert_out(e) for e in qs[max(offset, 0) : max(offset, 0) + limit]]


@router.post("/pool", response={201: ExpertOut}, summary="专家入库")
def register(request: HttpRequest, body: ExpertIn) -> Status[Any]:
    actor = request_user(request)
    user = get_user_model().objects.filter(username=body.username).first()
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "用户不存在", field="username")
    data = body.dict()
    data.pop("username")
    data["home_centre"] = _centre(body.home_centre)
    expert = services.expert_register(actor=actor, user=user, **data)
    return Status(201, _expert_out(_expert(expert.pk)))


class StatusIn(Schema):
    status: str
    penalty_until: dt.date | None = None
    reason: str = Field("", max_length=200)
    version: int


@router.post("/pool/{expert_id}/status", response=ExpertOut, summary="暂停/处罚/恢复专家")
def set_status(request: HttpRequest, expert_id: int, body: StatusIn) -> dict[str, Any]:
    e = _expert(expert_id)
    if e.version != body.version:
        raise DomainError(ErrorCode.CONFLICT)
    services.expert_set_status(
        actor=request_user(request),
        expert=e,
        status=body.status,
        penalty_until=body.penalty_until,
        reason=body.reason,
    )
    return _expert_out(_expert(expert_id))


class AvailabilityIn(Schema):
    add: list[dt.date] = Field(default_factory=list)
    remove: list[dt.date] = Field(default_factory=list)


@router.post("/pool/{expert_id}/unavailable", summary="设置不可参加评标的日期")
def set_unavailable(request: HttpRequest, expert_id: int, body: AvailabilityIn) -> dict[str, Any]:
    days = services.unavailability_set(
        actor=request_user(request), expert=_expert(expert_id), add=body.add, remove=body.remove
    )
    return {"unavailable": days}


class RelationIn(Schema):
    kind: str
    org_uscc: str = ""
    relative_id_number: str = ""
    until: dt.date | None = None
    note: str = Field("", max_length=200)


@router.post("/pool/{expert_id}/relations", response={201: dict[str, Any]}, summary="申报回避关系")
def add_relation(request: HttpRequest, expert_id: int, body: RelationIn) -> Status[Any]:
    rel = services.relation_add(
        actor=request_user(request), expert=_expert(expert_id), **body.dict()
    )
    return Status(201, {"id": rel.pk, "kind": rel.kind, "org_uscc": rel.org_uscc})


@router.post("/pool/import", response={201: dict[str, Any]}, summary="批量导入专家（CSV/XLSX）")
def import_pool(
    request: HttpRequest,
    file: UploadedFile = File(...),  # type: ignore[type-arg]  # noqa: B008
) -> Status[Any]:
    data = file.read(transfer.MAX_BYTES + 1)
    report = transfer.pool_import(
        actor=request_user(request), data=data, filename=file.name or "upload"
    )
    return Status(201, report.as_dict())


@router.get("/pool/export", summary="导出专家库（CSV/XLSX）")
def export_pool(request: HttpRequest, format: str = "csv") -> HttpResponse:
    content, ctype = transfer.pool_export(actor=request_user(request), fmt=format)
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="experts.{format}"'
    return response


class VenueIn(Schema):
    code: str = Field(max_length=30)
    centre: str
    name: str = Field(max_length=100)
    region_code: str
    seats: int = Field(ge=1, le=99)
    room: str = Field("", max_length=50)


@router.post("/venues", response={201: dict[str, Any]}, summary="登记评标场地")
def create_venue(request: HttpRequest, body: VenueIn) -> Status[Any]:
    data = body.dict()
    data["centre"] = _centre(body.centre)
    v = services.venue_create(actor=request_user(request), **data)
    return Status(201, {"code": v.code, "name": v.name, "region_code": v.region_code})


# --------------------------------------------------------------------------- draws


class LineIn(Schema):
    specialty: str
    count: int = Field(ge=1, le=99)
    reserves: int = Field(0, ge=0, le=99)


class VenueChoiceIn(Schema):
    code: str
    main: bool
    seats: int = Field(ge=1, le=99)


class DrawIn(Schema):
    section: str
    evaluation_start: dt.datetime
    lines: list[LineIn] = Field(min_length=1, max_length=20)
    regions_include: list[str] = Field(default_factory=list)
    regions_exclude: list[str] = Field(default_factory=list)
    venues: list[VenueChoiceIn] = Field(default_factory=list)
    extra_party_usccs: list[str] = Field(default_factory=list)


class DrawOut(Schema):
    id: int
    section: str
    status: str
    algorithm: str
    request_sha256: str
    checkpoint_size: int
    checkpoint_root: str
    seed: str
    pool_sha256: str
    pool_size: int
    release_at: dt.datetime
    released: bool
    result_commitment: str
    commitments: list[str]
    members: int
    excluded: dict[str, int]
    invitations: dict[str, int]
    spec: dict[str, Any] | None


def _draw_out(req: DrawRequest) -> dict[str, Any]:
    draw = Draw.objects.filter(request=req).first()
    released = selectors.released(req)
    counts: dict[str, int] = {}
    if draw is not None:
        for status in Invitation.objects.filter(draw=draw).values_list("status", flat=True):
            counts[status] = counts.get(status, 0) + 1
    return {
        "id": req.pk,
        "section": req.section.code,
        "status": req.status,
        "algorithm": req.algorithm,
        "request_sha256": req.request_sha256,
        "checkpoint_size": req.checkpoint_size,
        "checkpoint_root": req.checkpoint_root,
        "seed": req.seed,
        "pool_sha256": req.pool_sha256,
        "pool_size": req.pool_size,
        "release_at": req.release_at,
        "released": released,
        "result_commitment": draw.commitment if draw else "",
        "commitments": list(draw.commitments) if draw else [],
        "members": draw.members if draw else 0,
        "excluded": dict(draw.excluded) if draw else {},
        "invitations": counts,
        # the conditions name the avoidance list: published with the names, at release
        "spec": req.spec if released else None,
    }


@router.post("/draws", response={201: DrawOut}, summary="申请专家抽取")
def request_draw(request: HttpRequest, body: DrawIn) -> Status[Any]:
    section = Section.objects.select_related("tender_project__project__centre").filter(
        code=body.section
    )
    sec = section.first()
    if sec is None:
        raise DomainError(ErrorCode.SECTION_NOT_FOUND, field="section")
    req = draws.draw_request(
        actor=request_user(request),
        section=sec,
        lines=[x.dict() for x in body.lines],
        evaluation_start=body.evaluation_start,
        regions_include=body.regions_include,
        regions_exclude=body.regions_exclude,
        venues=[draws.VenueChoice(v.code, v.main, v.seats) for v in body.venues],
        extra_party_usccs=body.extra_party_usccs,
    )
    return Status(201, _draw_out(req))


@router.post("/draws/{draw_id}/run", response=DrawOut, summary="执行抽取")
def run_draw(request: HttpRequest, draw_id: int) -> dict[str, Any]:
    actor = request_user(request)
    req = selectors.draw_for(actor, draw_id)
    draws.draw_run(actor=actor, request=req)
    return _draw_out(req)


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


@router.post("/draws/{draw_id}/cancel", response=DrawOut, summary="取消抽取（须说明理由）")
def cancel_draw(request: HttpRequest, draw_id: int, body: CancelIn) -> dict[str, Any]:
    actor = request_user(request)
    req = selectors.draw_for(actor, draw_id)
    draws.draw_cancel(actor=actor, request=req, reason=body.reason)
    return _draw_out(req)


@router.get("/draws/{draw_id}", response=DrawOut, summary="抽取记录（名单解密前不含姓名）")
def get_draw(request: HttpRequest, draw_id: int) -> dict[str, Any]:
    return _draw_out(selectors.draw_for(request_user(request), draw_id))


@router.get("/draws/{draw_id}/list", summary="专家名单（评标开始后）")
def draw_list(request: HttpRequest, draw_id: int) -> list[dict[str, Any]]:
    actor = request_user(request)
    return selectors.protected_list(actor, selectors.draw_for(actor, draw_id))


@router.get("/draws/{draw_id}/verify", summary="复核抽取（重新运行并与存证比对）")
def verify(request: HttpRequest, draw_id: int) -> dict[str, Any]:
    req = selectors.draw_for(request_user(request), draw_id)
    if not selectors.released(req):
        raise DomainError(ErrorCode.DRAW_LIST_SEALED)
    report = verify_request(req)
    return {
        "ok": report.ok,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
    }


# --------------------------------------------------------------------------- invitations


class InvitationOut(Schema):
    id: int
    status: str
    evaluation_start: dt.datetime
    venue: str
    checked_in: bool


def _inv_out(i: Invitation) -> dict[str, Any]:
    return {
        "id": i.pk,
        "status": i.status,
        "evaluation_start": i.draw.request.release_at,
        "venue": i.venue_code,
        "checked_in": i.checked_in_at is not None,
    }


@router.get("/invitations", response=list[InvitationOut], summary="我的评标邀请")
def my_invitations(request: HttpRequest) -> list[dict[str, Any]]:
    return [_inv_out(i) for i in selectors.my_invitations(request_user(request))[:100]]


class DeclineIn(Schema):
    reason: str = Field("", max_length=200)


class CheckInIn(Schema):
    declaration: bool


@router.post("/invitations/{inv_id}/confirm", response=InvitationOut, summary="确认参加")
def confirm(request: HttpRequest, inv_id: int) -> dict[str, Any]:
    actor = request_user(request)
    inv = draws.invitation_confirm(actor=actor, invitation=selectors.invitation_of(actor, inv_id))
    return _inv_out(inv)


@router.post("/invitations/{inv_id}/decline", response=InvitationOut, summary="拒绝参加")
def decline(request: HttpRequest, inv_id: int, body: DeclineIn) -> dict[str, Any]:
    actor = request_user(request)
    inv = draws.invitation_decline(
        actor=actor, invitation=selectors.invitation_of(actor, inv_id), reason=body.reason
    )
    return _inv_out(inv)


@router.post("/invitations/{inv_id}/check-in", response=InvitationOut, summary="场地签到")
def check_in(request: HttpRequest, inv_id: int, body: CheckInIn) -> dict[str, Any]:
    actor = request_user(request)
    inv = draws.invitation_check_in(
        actor=actor,
        invitation=selectors.invitation_of(actor, inv_id),
        declaration=body.declaration,
    )
    return _inv_out(inv)


@router.get("/notifications", summary="站内通知")
def notifications(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"id": n.pk, "title": n.title, "body": n.body, "url": n.url, "created_at": n.created_at}
        for n in selectors.notifications(request_user(request))[:50]
    ]

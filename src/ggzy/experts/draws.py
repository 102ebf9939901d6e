"""Draw services (专家抽取): request → run → confirm/decline → replacement (补抽) → check-in.

The selection itself is the pure ``ggzy.experts.draw`` module; this file fixes its inputs
(conditions, avoidance list, pool snapshot, checkpoint, seed), stores the protected list
encrypted until the release time (信源加密) and records every step on the ledger.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse

from ggzy import clock, ledger
from ggzy.accounts.permissions import Perm, is_centre_staff, require
from ggzy.core import fieldcrypt
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.experts import draw as algo
from ggzy.experts.models import (
    Draw,
    DrawRequest,
    DrawStatus,
    Expert,
    Invitation,
    InvitationStatus,
    Relation,
    RelationKind,
    SharingPolicy,
    Unavailability,
    Venue,
)
from ggzy.experts.notify import notify
from ggzy.experts.specialties import classification
from ggzy.projects.models import Section
from ggzy.projects.services import can_manage_tender
from ggzy.registry import identifiers as ids
from ggzy.registry.models import Membership, MembershipStatus, Organization, Role, TradingCentre

POLICY_FILE = Path(__file__).resolve().parent / "data" / "draw_policy.json"
POOL_CONTEXT = "experts.pool"
STATE_CONTEXT = "experts.draw.state"
TZ = ZoneInfo("Asia/Shanghai")
LIVE = (DrawStatus.REQUESTED, DrawStatus.DRAWN)


@lru_cache(maxsize=1)
def policy() -> dict[str, Any]:
    return dict(json.loads(POLICY_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class VenueChoice:
    code: str
    main: bool
    seats: int


# --------------------------------------------------------------------------- helpers


def _seal(data: Any, context: str) -> bytes:
    raw = zlib.compress(algo.canonical(data), 6)
    return fieldcrypt.encrypt(base64.b64encode(raw).decode("ascii"), context=context)


def _unseal_bytes(blob: bytes | memoryview, context: str) -> bytes:
    return zlib.decompress(base64.b64decode(fieldcrypt.decrypt(bytes(blob), context=context)))


def _unseal(blob: bytes | memoryview, context: str) -> Any:
    return json.loads(_unseal_bytes(blob, context))


def load_pool(req: DrawRequest) -> algo.Pool:
    """The stored snapshot; its ``digest()`` is the SHA-256 of the stored canonical bytes."""
    raw = _unseal_bytes(req.pool_encrypted, f"{POOL_CONTEXT}:{req.request_sha256}")
    return algo.Pool.from_canonical(raw)


def load_state(draw: Draw) -> dict[str, Any]:
    return dict(_unseal(draw.state_encrypted, f"{STATE_CONTEXT}:{draw.request_id}"))


def _save_state(draw: Draw, state: algo.DrawState) -> bytes:
    body = {
        "members": [[s.line, s.candidate, s.venue] for s in state.members],
        "reserves": [list(x) for x in state.reserves()],
        "declined": list(state.declined),
    }
    return _seal(body, f"{STATE_CONTEXT}:{draw.request_id}")


def _can_request(actor: Any, section: Section) -> None:
    require(actor, Perm.EXPERTS_DRAW_WRITE)
    if not can_manage_tender(actor, section.tender_project):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, "只有招标人、其招标代理机构或交易中心工作人员可以申请抽取"
        )


def can_view_draw(actor: Any, req: DrawRequest) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    from ggzy.accounts.permissions import active_roles

    return (
        is_centre_staff(actor)
        or Role.REGULATOR in active_roles(actor)
        or can_manage_tender(actor, req.section.tender_project)
    )


def party_orgs(section: Section) -> list[Organization]:
    """Tenderer, agency and every bidder with a live bid on the section (回避名单)."""
    tp = section.tender_project
    orgs: dict[int, Organization] = {tp.tenderer_id: tp.tenderer}
    if tp.agency_id is not None and tp.agency is not None:
        orgs[tp.agency_id] = tp.agency
    from ggzy.tendering.models import Bid, BidStatus

    for bid in Bid.objects.filter(
        tender__section=section, status=BidStatus.SUBMITTED
    ).select_related("bidder"):
        orgs[bid.bidder_id] = bid.bidder
    return list(orgs.values())


def drawable_experts(centre: TradingCentre) -> Any:
    """Experts a draw at ``centre`` may consider under the pool-sharing policies (共享)."""
    own = SharingPolicy.objects.filter(centre=centre).first()
    sharing = SharingPolicy.objects.filter(shares_out=False).values_list("centre_id", flat=True)
    qs = Expert.objects.filter(
        Q(home_centre=centre) | (Q(shared=True) & ~Q(home_centre_id__in=sharing))
    )
    if own is not None and own.draws_from:
        qs = qs.filter(Q(home_centre=centre) | Q(home_centre__code__in=own.draws_from))
    return qs


def snapshot(centre: TradingCentre, day: dt.date, freq_days: int) -> list[algo.Candidate]:
    """The pool snapshot: drawable experts with the facts the avoidance predicates need."""
    experts = list(drawable_experts(centre).select_related("user__person"))
    ids = [e.pk for e in experts]
    person_ids = {e.pk: e.user.person.pk for e in experts}
    unavailable = set(
        Unavailability.objects.filter(expert_id__in=ids, day=day).values_list(
            "expert_id", flat=True
        )
    )
    relations: dict[int, list[Relation]] = {}
    for rel in Relation.objects.filter(expert_id__in=ids).order_by("id"):
        relations.setdefault(rel.expert_id, []).append(rel)
    orgs: dict[int, set[str]] = {}
    depts: dict[int, set[str]] = {}
    for m in Membership.objects.filter(
        person_id__in=person_ids.values(), status=MembershipStatus.ACTIVE
    ).select_related("organization", "department"):
        if m.organization is not None:
            orgs.setdefault(m.person_id, set()).add(m.organization.uscc)
        if m.department is not None:
            depts.setdefault(m.person_id, set()).add(m.department.code)
    start = day - dt.timedelta(days=freq_days)
    recent: dict[int, list[str]] = {}
    for expert_id, release in Invitation.objects.filter(
        expert_id__in=ids,
        status__in=[InvitationStatus.INVITED, InvitationStatus.CONFIRMED],
        draw__request__release_at__date__gte=start,
        draw__request__release_at__date__lte=day + dt.timedelta(days=1),
    ).values_list("expert_id", "draw__request__release_at"):
        recent.setdefault(expert_id, []).append(release.astimezone(TZ).date().isoformat())
    far = "9999-12-31"
    out = []
    for e in experts:
        rels = relations.get(e.pk, [])
        pid = person_ids[e.pk]
        out.append(
            algo.Candidate(
                id=e.pk,
                specialties=tuple(e.specialties),
                region=e.region_code,
                employer=e.employer_uscc,
                status=e.status,
                penalty_until=e.penalty_until.isoformat() if e.penalty_until else "",
                unavailable=(day.isoformat(),) if e.pk in unavailable else (),
                former_employers=tuple(
                    (r.org_uscc, r.until.isoformat() if r.until else far)
                    for r in rels
                    if r.kind == RelationKind.EMPLOYMENT
                ),
                relatives=tuple(
                    (r.person_index, r.org_uscc) for r in rels if r.kind == RelationKind.RELATIVE
                ),
                interests=tuple(
                    (r.org_uscc, r.until.isoformat() if r.until else far)
                    for r in rels
                    if r.kind == RelationKind.INTEREST
                ),
                orgs=tuple(sorted(orgs.get(pid, ()))),
                person=e.user.person.id_number_index,
                departments=tuple(sorted(depts.get(pid, ()))),
                recent_draws=tuple(sorted(recent.get(e.pk, ()))),
            )
        )
    return out


def _checkpoint() -> tuple[int, bytes]:
    from ggzy.ledger.proofs import latest_checkpoint

    cp = latest_checkpoint()
    if cp is None:
        return 0, algo.EMPTY_ROOT
    return int(cp.size), bytes(cp.root_hash)


def _shortfall_error(s: algo.Shortfall, spec: algo.DrawSpec) -> DomainError:
    label = classification().label(s.specialty)
    where = ""
    if spec.regions_include:
        where += "，限定地区 " + "、".join(spec.regions_include)
    if spec.regions_exclude:
        where += "，排除地区 " + "、".join(spec.regions_exclude)
    if s.venue:
        where += f"，场地 {s.venue}"
    phase = {"members": "评标专家", "reserves": "专家（含备选）", "replacement": "补抽专家"}[
        s.phase
    ]
    return DomainError(
        ErrorCode.DRAW_NOT_ENOUGH,
        f"专业 {s.specialty}（{label}）需要{phase} {s.needed} 名，"
        f"符合条件的仅 {s.eligible} 名{where}",
        field="lines",
        detail=s.as_dict(),
    )


# --------------------------------------------------------------------------- request & run


def draw_request(
    *,
    actor: Any,
    section: Section,
    lines: list[dict[str, Any]],
    evaluation_start: dt.datetime,
    regions_include: list[str] | None = None,
    regions_exclude: list[str] | None = None,
    venues: list[VenueChoice] | None = None,
    extra_party_usccs: list[str] | None = None,
) -> DrawRequest:
    """专家抽取申请: fixes conditions, the avoidance list, the pool snapshot, the latest signed
    checkpoint and so the seed — all before anything is drawn."""
    _can_request(actor, section)
    now = clock.now()
    if evaluation_start.tzinfo is None or evaluation_start <= now:
        raise DomainError(
            ErrorCode.DRAW_INVALID, "评标开始时间应晚于当前时间", field="evaluation_start"
        )
    day = evaluation_start.astimezone(TZ).date()
    known = classification()
    for x in lines:
        if not known.known(str(x.get("specialty", ""))):
            raise DomainError(
                ErrorCode.SPECIALTY_UNKNOWN,
                f"评标专业代码 {x.get('specialty')} 不在专业分类标准中",
                field="lines",
            )
    venue_rows: list[algo.Venue] = []
    for v in venues or []:
        row = Venue.objects.filter(code=v.code).first()
        if row is None:
            raise DomainError(ErrorCode.DRAW_INVALID, f"评标场地 {v.code} 不存在", field="venues")
        venue_rows.append(
            algo.Venue(row.code, algo.region_prefix(row.region_code), v.main, v.seats)
        )
        if v.seats > row.seats:
            raise DomainError(
                ErrorCode.DRAW_INVALID, f"评标场地 {v.code} 只有 {row.seats} 个席位", field="venues"
            )
    extra = sorted({u.strip().upper() for u in extra_party_usccs or [] if u.strip()})
    for code in extra:
        if not ids.is_valid_uscc(code):
            raise DomainError(
                ErrorCode.USCC_INVALID, f"统一社会信用代码 {code} 无效", field="extra_party_usccs"
            )
    orgs = party_orgs(section)
    usccs = sorted({o.uscc for o in orgs} | set(extra))
    persons = sorted(
        set(
            Membership.objects.filter(
                organization__uscc__in=usccs, status=MembershipStatus.ACTIVE
            ).values_list("person__id_number_index", flat=True)
        )
    )
    tp = section.tender_project
    pol = policy()
    try:
        spec = algo.DrawSpec(
            section=section.code,
            evaluation_date=day.isoformat(),
            lines=tuple(
                algo.Line(str(x["specialty"]), int(x["count"]), int(x.get("reserves", 0)))
                for x in lines
            ),
            regions_include=tuple(regions_include or ()),
            regions_exclude=tuple(regions_exclude or ()),
            venues=tuple(venue_rows),
            party_orgs=tuple(usccs),
            party_persons=tuple(persons),
            departments=(tp.supervise_dept.code,) if tp.supervise_dept is not None else (),
            avoid_years=int(pol["avoid_years"]),
            frequency_window_days=int(pol["frequency_window_days"]),
            frequency_limit=int(pol["frequency_limit"]),
            max_same_employer=int(pol["max_same_employer"]),
        )
    except (algo.DrawInputError, KeyError, TypeError, ValueError) as exc:
        raise DomainError(ErrorCode.DRAW_INVALID, f"抽取条件不正确：{exc}", field="lines") from exc
    centre = tp.project.centre
    if DrawRequest.objects.filter(section=section, status__in=LIVE).exists():
        raise DomainError(
            ErrorCode.DRAW_STATE, "该标段已有进行中的专家抽取，请先取消", field="section"
        )
    with transaction.atomic():
        pool = algo.Pool(snapshot(centre, day, spec.frequency_window_days))
        size, root = _checkpoint()
        request_digest = spec.digest()
        seed = algo.derive_seed(root, request_digest)
        try:
            with transaction.atomic():
                req = DrawRequest.objects.create(
                    section=section,
                    centre=centre,
                    requested_by=actor,
                    algorithm=algo.ALGORITHM,
                    spec=spec.as_dict(),
                    request_sha256=request_digest.hex(),
                    checkpoint_size=size,
                    checkpoint_root=root.hex(),
                    seed=seed.hex(),
                    pool_sha256=pool.digest().hex(),
                    pool_size=len(pool),
                    pool_encrypted=_seal(pool.as_list(), f"{POOL_CONTEXT}:{request_digest.hex()}"),
                    release_at=evaluation_start,
                    created_at=now,
                )
        except IntegrityError as exc:
            raise DomainError(
                ErrorCode.DRAW_STATE, "该标段已有进行中的专家抽取，请先取消", field="section"
            ) from exc
        ledger.record(
            "experts:draw:requested",
            req,
            actor,
            {
                "section": section.code,
                "algorithm": algo.ALGORITHM,
                "request_sha256": req.request_sha256,
                "checkpoint_size": size,
                "checkpoint_root": req.checkpoint_root,
                "seed": req.seed,
                "pool_sha256": req.pool_sha256,
                "pool_size": req.pool_size,
                "release_at": evaluation_start,
                "policy": pol["version"],
                "specialties_version": known.version,
                "lines": [[x.specialty, x.count, x.reserves] for x in spec.lines],
                "venues": [[v.code, v.main, v.seats] for v in spec.venues],
            },
            rule_version=algo.ALGORITHM,
        )
    return req


def draw_run(*, actor: Any, request: DrawRequest) -> Draw:
    """Run the published algorithm on the fixed inputs; seal the list; invite the members."""
    _can_request(actor, request.section)
    if request.status != DrawStatus.REQUESTED:
        raise DomainError(ErrorCode.DRAW_STATE, field="status")
    spec = algo.DrawSpec.from_dict(request.spec)
    pool = load_pool(request)
    try:
        state = algo.DrawState(spec, pool, bytes.fromhex(request.seed))
    except algo.Shortfall as s:
        raise _shortfall_error(s, spec) from s
    result = state.result()
    now = clock.now()
    with transaction.atomic():
        if not DrawRequest.objects.filter(pk=request.pk, status=DrawStatus.REQUESTED).update(
            status=DrawStatus.DRAWN
        ):
            raise DomainError(ErrorCode.DRAW_STATE, field="status")
        request.status = DrawStatus.DRAWN
        draw = Draw(
            request=request,
            ran_by=actor,
            ran_at=now,
            commitments=[result.commitment],
            members=len(result.members),
            excluded=result.excluded,
        )
        draw.state_encrypted = _save_state(draw, state)
        draw.save()
        experts = Expert.objects.in_bulk([s.candidate for s in result.members])
        for seat in result.members:
            _invite(draw, experts[seat.candidate], seat)
        ledger.record(
            "experts:draw:drawn",
            draw,
            actor,
            {
                "request": request.pk,
                "algorithm": algo.ALGORITHM,
                "request_sha256": request.request_sha256,
                "seed": request.seed,
                "pool_sha256": request.pool_sha256,
                "result_commitment": result.commitment,
                "members": len(result.members),
                "reserves": len(result.reserves),
                "excluded": result.excluded,
            },
            rule_version=algo.ALGORITHM,
        )
    return draw


def _invite(draw: Draw, expert: Expert, seat: algo.Seat) -> Invitation:
    inv = Invitation.objects.create(
        draw=draw,
        expert=expert,
        line=seat.line,
        venue_code=seat.venue,
        created_at=clock.now(),
    )
    start = draw.request.release_at.astimezone(TZ)
    notify(
        user=expert.user,
        title="评标邀请",
        body=f"您被随机抽取为评标专家，评标时间 {start:%Y-%m-%d %H:%M}。请登录平台确认是否参加。",
        url=reverse("experts:invitations"),
    )
    return inv


def draw_cancel(*, actor: Any, request: DrawRequest, reason: str) -> DrawRequest:
    """取消抽取: the requester may cancel a draw not yet run (e.g. after a shortfall, to
    change the conditions); a drawn committee is replaced only for a legal reason, by centre
    staff (实施条例 46). Invited experts are told the invitation is void."""
    _can_request(actor, request.section)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise DomainError(ErrorCode.VALIDATION, "请填写取消理由（不超过 200 字）", field="reason")
    if request.status == DrawStatus.DRAWN and not is_centre_staff(actor):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "已完成的抽取只能由交易中心工作人员依法取消")
    if request.status not in LIVE:
        raise DomainError(ErrorCode.DRAW_STATE, field="status")
    with transaction.atomic():
        if not DrawRequest.objects.filter(pk=request.pk, status=request.status).update(
            status=DrawStatus.CANCELLED
        ):
            raise DomainError(ErrorCode.CONFLICT)
        live = Invitation.objects.filter(
            draw__request=request, status__in=[InvitationStatus.INVITED, InvitationStatus.CONFIRMED]
        ).select_related("expert__user")
        for inv in live:
            notify(
                user=inv.expert.user,
                title="评标邀请已取消",
                body="您收到的一次评标邀请已取消，无需参加。",
                url=reverse("experts:invitations"),
            )
        n = live.update(status=InvitationStatus.CANCELLED, responded_at=clock.now())
        ledger.record(
            "experts:draw:cancelled",
            request,
            actor,
            {"previous": request.status, "reason": reason, "invitations_cancelled": n},
        )
    request.status = DrawStatus.CANCELLED
    return request


# --------------------------------------------------------------------------- responses


def _own(actor: Any, inv: Invitation) -> None:
    if actor is None or getattr(actor, "pk", None) != inv.expert.user_id:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只有被邀请的专家本人可以操作")


def invitation_confirm(*, actor: Any, invitation: Invitation) -> Invitation:
    """The expert confirms attendance (确认参加)."""
    _own(actor, invitation)
    if clock.now() >= invitation.draw.request.release_at:
        raise DomainError(ErrorCode.INVITATION_STATE, "评标已开始，不能再确认")
    with transaction.atomic():
        if not Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.INVITED).update(
            status=InvitationStatus.CONFIRMED, responded_at=clock.now()
        ):
            raise DomainError(ErrorCode.INVITATION_STATE, field="status")
        # actor as the invitation, not the user: the ledger is readable before the list is
        # released, and the user id would reveal who sits on the committee (法37)
        ledger.record(
            "experts:invitation:confirmed",
            invitation,
            f"invitation:{invitation.pk}",
            {"draw": invitation.draw_id},
        )
    invitation.refresh_from_db()
    return invitation


def invitation_decline(*, actor: Any, invitation: Invitation, reason: str = "") -> Invitation:
    """The expert declines (or recuses at check-in): a replacement is drawn from the same
    verifiable sequence in the same transaction."""
    _own(actor, invitation)
    reason = (reason or "").strip()[:200]
    with transaction.atomic():
        if not Invitation.objects.filter(
            pk=invitation.pk,
            status__in=[InvitationStatus.INVITED, InvitationStatus.CONFIRMED],
            checked_in_at__isnull=True,
        ).update(status=InvitationStatus.DECLINED, responded_at=clock.now(), reason=reason):
            raise DomainError(ErrorCode.INVITATION_STATE, field="status")
        ledger.record(
            "experts:invitation:declined",
            invitation,
            f"invitation:{invitation.pk}",
            {"draw": invitation.draw_id},
        )
        _replace(invitation)
    invitation.refresh_from_db()
    return invitation


def _replace(invitation: Invitation) -> Invitation | None:
    """补抽 for a declined member: same line, same venue, reserves first, then the stream.
    When nobody is left, the decline still stands, the seat stays vacant and the shortfall
    is recorded (the requester must request a new draw for the missing seat)."""
    draw = Draw.objects.select_for_update().select_related("request").get(pk=invitation.draw_id)
    req = draw.request
    spec = algo.DrawSpec.from_dict(req.spec)
    pool = load_pool(req)
    previous = load_state(draw)["declined"]
    state = algo.DrawState(spec, pool, bytes.fromhex(req.seed))
    for d in previous:
        state.replace_or_vacate(int(d))
    seat, shortfall = state.replace_or_vacate(invitation.expert_id)
    commitment = state.commitment()
    if not Draw.objects.filter(pk=draw.pk, version=draw.version).update(
        state_encrypted=_save_state(draw, state),
        commitments=[*draw.commitments, commitment],
        version=F("version") + 1,
    ):
        raise DomainError(ErrorCode.CONFLICT)
    payload: dict[str, Any] = {
        "request": req.pk,
        "algorithm": algo.ALGORITHM,
        "step": len(draw.commitments),
        "declined_invitation": invitation.pk,
        "result_commitment": commitment,
    }
    if seat is None:
        assert shortfall is not None
        payload["shortfall"] = shortfall.as_dict()
        payload["message"] = _shortfall_error(shortfall, spec).message
        ledger.record(
            "experts:draw:shortfall",
            draw,
            "system:experts-draw",
            payload,
            rule_version=algo.ALGORITHM,
        )
        return None
    new = _invite(draw, Expert.objects.get(pk=seat.candidate), seat)
    payload["new_invitation"] = new.pk
    ledger.record(
        "experts:draw:replenished",
        draw,
        "system:experts-draw",
        payload,
        rule_version=algo.ALGORITHM,
    )
    return new


def invitation_check_in(*, actor: Any, invitation: Invitation, declaration: bool) -> Invitation:
    """签到 at the venue: from the evaluation start, by the expert (with the written
    no-conflict declaration) or by staff of the venue's centre."""
    inv = invitation
    staff = is_centre_staff(actor)
    if not staff:
        _own(actor, inv)
    if clock.now() < inv.draw.request.release_at:
        raise DomainError(ErrorCode.CHECKIN_NOT_OPEN)
    if not declaration:
        raise DomainError(
            ErrorCode.VALIDATION, "请先签署无利害关系声明；如需回避请选择回避", field="declaration"
        )
    expert = Expert.objects.get(pk=inv.expert_id)  # re-checked at check-in (DOMAIN §6.2)
    day = inv.draw.request.release_at.astimezone(TZ).date()
    if expert.status == "suspended" or (
        expert.status == "penalised"
        and (expert.penalty_until is None or expert.penalty_until >= day)
    ):
        raise DomainError(ErrorCode.INVITATION_STATE, "该专家已被暂停或处于处罚期内，不能签到")
    if staff and inv.venue_code:
        venue = Venue.objects.filter(code=inv.venue_code).first()
        from ggzy.registry.models import Membership as M

        if (
            venue is not None
            and not M.objects.filter(
                person__user=actor,
                role=Role.CENTRE_STAFF,
                centre=venue.centre,
                status=MembershipStatus.ACTIVE,
            ).exists()
            and not getattr(actor, "is_superuser", False)
        ):
            raise DomainError(ErrorCode.PERMISSION_DENIED, "只能为本中心场地的专家签到")
    with transaction.atomic():
        if not Invitation.objects.filter(
            pk=inv.pk, status=InvitationStatus.CONFIRMED, checked_in_at__isnull=True
        ).update(checked_in_at=clock.now()):
            raise DomainError(ErrorCode.INVITATION_STATE, "只有已确认参加且未签到的专家可以签到")
        ledger.record(
            "experts:invitation:checked_in",
            inv,
            actor,
            {"draw": inv.draw_id, "venue": inv.venue_code, "declaration": True},
        )
    inv.refresh_from_db()
    return inv

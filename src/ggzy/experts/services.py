"""Expert pool (专家库) writes. Every write runs in one transaction with its ledger entry.

Draws live in ``draws.py``; bulk import/export in ``transfer.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F

from ggzy import clock, ledger
from ggzy.accounts.permissions import Perm, is_centre_staff, require
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.experts.models import (
    Expert,
    ExpertStatus,
    Relation,
    RelationKind,
    SharingPolicy,
    Title,
    Unavailability,
    Venue,
)
from ggzy.experts.specialties import classification
from ggzy.registry import identifiers as ids
from ggzy.registry.models import MembershipStatus, Role, TradingCentre

MIN_YEARS = 8  # 法37: 从事相关领域工作满八年


def local_today() -> dt.date:
    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()


def _staff(actor: Any) -> None:
    require(actor, Perm.EXPERTS_POOL_WRITE)
    if not is_centre_staff(actor):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只有交易中心工作人员可以维护专家库")


def _self_or_staff(actor: Any, expert: Expert) -> None:
    if actor is not None and getattr(actor, "pk", None) == expert.user_id:
        return
    _staff(actor)


def clean_specialties(codes: list[str] | str) -> list[str]:
    if isinstance(codes, str):
        codes = codes.replace(",", " ").replace("，", " ").replace(";", " ").split()
    out = sorted({c.strip().upper() for c in codes if c.strip()})
    if not out or len(out) > 10:
        raise DomainError(
            ErrorCode.SPECIALTY_UNKNOWN, "请填写 1 至 10 个评标专业", field="specialties"
        )
    known = classification()
    for code in out:
        if not known.known(code):
            raise DomainError(
                ErrorCode.SPECIALTY_UNKNOWN,
                f"评标专业代码 {code} 不在专业分类标准中",
                field="specialties",
            )
    return out


def _check_fields(
    *, region_code: str, employer_uscc: str, employer_name: str, title: str, years: int
) -> tuple[str, str]:
    if not ids.is_valid_region_code(region_code):
        raise DomainError(ErrorCode.REGION_CODE_INVALID, field="region_code")
    uscc = ids.normalise_uscc(employer_uscc)
    if not ids.is_valid_uscc(uscc):
        raise DomainError(ErrorCode.USCC_INVALID, field="employer_uscc")
    name = (employer_name or "").strip()
    if not name or len(name) > 200:
        raise DomainError(
            ErrorCode.VALIDATION, "请填写工作单位名称（不超过 200 字）", field="employer_name"
        )
    if title not in Title.values:
        raise DomainError(
            ErrorCode.EXPERT_NOT_ELIGIBLE, "职称应为高级、正高级或同等专业水平", field="title"
        )
    if years < MIN_YEARS or years > 70:
        raise DomainError(ErrorCode.EXPERT_NOT_ELIGIBLE, field="years")
    return uscc, name


def expert_register(
    *,
    actor: Any,
    user: Any,
    specialties: list[str] | str,
    region_code: str,
    employer_uscc: str,
    employer_name: str,
    title: str,
    years: int,
    home_centre: TradingCentre,
    shared: bool = True,
) -> Expert:
    """入库: add a real-name user holding the expert role (评标专家) to the pool."""
    _staff(actor)
    person = getattr(user, "person", None) if user is not None else None
    if person is None:
        raise DomainError(ErrorCode.PERSON_REQUIRED, field="user")
    if not person.memberships.filter(role=Role.EXPERT, status=MembershipStatus.ACTIVE).exists():
        raise DomainError(ErrorCode.EXPERT_ROLE_REQUIRED, field="user")
    codes = clean_specialties(specialties)
    uscc, name = _check_fields(
        region_code=region_code,
        employer_uscc=employer_uscc,
        employer_name=employer_name,
        title=title,
        years=years,
    )
    if Expert.objects.filter(user=user).exists():
        raise DomainError(ErrorCode.EXPERT_DUPLICATE, field="user")
    now = clock.now()
    with transaction.atomic():
        expert = Expert.objects.create(
            user=user,
            specialty_codes=" " + " ".join(codes) + " ",
            region_code=region_code,
            employer_uscc=uscc,
            employer_name=name,
            title=title,
            years=years,
            home_centre=home_centre,
            shared=shared,
            created_at=now,
            updated_at=now,
        )
        ledger.record(
            "experts:expert:registered",
            expert,
            actor,
            {
                "specialties": codes,
                "specialties_version": classification().version,
                "region_code": region_code,
                "employer_uscc": uscc,
                "title": title,
                "years": years,
                "home_centre": home_centre.code,
                "shared": shared,
            },
        )
    return expert


def expert_set_status(
    *,
    actor: Any,
    expert: Expert,
    status: str,
    penalty_until: dt.date | None = None,
    reason: str = "",
) -> Expert:
    """暂停/处罚/恢复: a penalised expert carries the end of the penalty window."""
    _staff(actor)
    if status not in ExpertStatus.values:
        raise DomainError(ErrorCode.VALIDATION, "专家状态无效", field="status")
    if status != ExpertStatus.PENALISED:
        penalty_until = None
    with transaction.atomic():
        changed = Expert.objects.filter(pk=expert.pk, version=expert.version).update(
            status=status,
            penalty_until=penalty_until,
            updated_at=clock.now(),
            version=F("version") + 1,
        )
        if not changed:
            raise DomainError(ErrorCode.CONFLICT)
        ledger.record(
            "experts:expert:status_changed",
            expert,
            actor,
            {"status": status, "penalty_until": penalty_until, "reason": reason[:200]},
        )
    expert.refresh_from_db()
    return expert


def unavailability_set(
    *, actor: Any, expert: Expert, add: list[dt.date], remove: list[dt.date] | None = None
) -> list[dt.date]:
    """Availability calendar: the expert (or staff) marks days he/she cannot evaluate."""
    _self_or_staff(actor, expert)
    remove = remove or []
    if len(add) + len(remove) > 366:
        raise DomainError(ErrorCode.VALIDATION, "一次最多设置 366 天", field="add")
    with transaction.atomic():
        Unavailability.objects.filter(expert=expert, day__in=remove).delete()
        existing = set(
            Unavailability.objects.filter(expert=expert, day__in=add).values_list("day", flat=True)
        )
        Unavailability.objects.bulk_create(
            [Unavailability(expert=expert, day=d) for d in sorted(set(add) - existing)]
        )
        ledger.record(
            "experts:expert:availability_changed",
            expert,
            actor,
            {"added": sorted(set(add)), "removed": sorted(set(remove))},
        )
    return sorted(expert.unavailable.values_list("day", flat=True))


def relation_add(
    *,
    actor: Any,
    expert: Expert,
    kind: str,
    org_uscc: str = "",
    relative_id_number: str = "",
    until: dt.date | None = None,
    note: str = "",
) -> Relation:
    """Declare a relation for avoidance (回避): a former employer (with its end date), a close
    relative (by ID number, kept only as the registry's blind index, and/or the relative's
    employer), or co-working/economic interest with an organisation."""
    _self_or_staff(actor, expert)
    if kind not in RelationKind.values:
        raise DomainError(ErrorCode.VALIDATION, "关系类型无效", field="kind")
    uscc = ids.normalise_uscc(org_uscc) if org_uscc else ""
    if uscc and not ids.is_valid_uscc(uscc):
        raise DomainError(ErrorCode.USCC_INVALID, field="org_uscc")
    person_index = ""
    if relative_id_number:
        if kind != RelationKind.RELATIVE:
            raise DomainError(ErrorCode.VALIDATION, "只有近亲属可以填写身份证号", field="kind")
        number = ids.normalise_citizen_id(relative_id_number)
        if not ids.is_valid_citizen_id(number, today=local_today()):
            raise DomainError(ErrorCode.CITIZEN_ID_INVALID, field="relative_id_number")
        from ggzy.registry.services import person_id_index

        person_index = person_id_index("01", number)
    if not uscc and not person_index:
        raise DomainError(
            ErrorCode.VALIDATION, "请填写单位统一社会信用代码或亲属身份证号", field="org_uscc"
        )
    if kind == RelationKind.EMPLOYMENT and until is None:
        raise DomainError(ErrorCode.VALIDATION, "请填写离职日期", field="until")
    with transaction.atomic():
        rel = Relation.objects.create(
            expert=expert,
            kind=kind,
            org_uscc=uscc,
            person_index=person_index,
            until=until,
            note=(note or "")[:200],
        )
        ledger.record(
            "experts:relation:declared",
            rel,
            actor,
            {
                "expert": expert.pk,
                "kind": kind,
                "org_uscc": uscc,
                "relative": bool(person_index),
                "until": until,
            },
        )
    return rel


def sharing_policy_set(
    *, actor: Any, centre: TradingCentre, shares_out: bool, draws_from: list[str]
) -> SharingPolicy:
    """专家资源共享: whether this centre's experts are drawable elsewhere, and from which
    centres it draws (empty list: every centre that shares)."""
    _staff(actor)
    codes = sorted({c.strip() for c in draws_from if c.strip()})
    known = set(TradingCentre.objects.filter(code__in=codes).values_list("code", flat=True))
    if set(codes) - known:
        raise DomainError(ErrorCode.VALIDATION, "交易中心编码无效", field="draws_from")
    with transaction.atomic():
        policy, _ = SharingPolicy.objects.update_or_create(
            centre=centre, defaults={"shares_out": shares_out, "draws_from": codes}
        )
        ledger.record(
            "experts:sharing:set",
            policy,
            actor,
            {"centre": centre.code, "shares_out": shares_out, "draws_from": codes},
        )
    return policy


def venue_create(
    *,
    actor: Any,
    code: str,
    centre: TradingCentre,
    name: str,
    region_code: str,
    seats: int,
    room: str = "",
) -> Venue:
    """评标场地 (主场/副场 seat directory entry)."""
    _staff(actor)
    code = (code or "").strip()
    if not code or len(code) > 30 or not (name or "").strip():
        raise DomainError(ErrorCode.VALIDATION, "请填写场地编码（≤30 字）和名称", field="code")
    if not ids.is_valid_region_code(region_code):
        raise DomainError(ErrorCode.REGION_CODE_INVALID, field="region_code")
    if not 1 <= seats <= 99:
        raise DomainError(ErrorCode.VALIDATION, "席位应为 1–99", field="seats")
    if Venue.objects.filter(code=code).exists():
        raise DomainError(ErrorCode.CONFLICT, "场地编码已存在", field="code")
    with transaction.atomic():
        venue = Venue.objects.create(
            code=code,
            centre=centre,
            name=name.strip()[:100],
            room=room[:50],
            region_code=region_code,
            seats=seats,
        )
        ledger.record(
            "experts:venue:created",
            venue,
            actor,
            {"code": code, "centre": centre.code, "region_code": region_code, "seats": seats},
        )
    return venue

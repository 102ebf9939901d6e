"""Reads of the registry, scoped to who is asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.registry import identifiers as ids
from ggzy.registry.models import (
    Department,
    EntityStatus,
    Membership,
    Organization,
    Person,
    TradingCentre,
)


def organization_get(uscc: str) -> Organization:
    code = ids.normalise_uscc(uscc)
    if not ids.is_valid_uscc(code):
        raise DomainError(ErrorCode.USCC_INVALID, field="uscc")
    org = Organization.objects.filter(uscc=code).first()
    if org is None:
        raise DomainError(ErrorCode.ENTITY_NOT_FOUND)
    return org


def organization_search(
    *, q: str = "", kind: str = "", region_code: str = "", role: str = ""
) -> QuerySet[Organization]:
    qs = Organization.objects.exclude(status=EntityStatus.DEREGISTERED)
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__iexact=q.upper()))
    if kind:
        qs = qs.filter(kind=kind)
    if region_code:
        qs = qs.filter(region_code__startswith=region_code.rstrip("0") or region_code)
    if role:
        qs = qs.filter(memberships__role=role, memberships__status="active").distinct()
    return qs.order_by("name", "uscc")


def organization_members(org: Organization) -> QuerySet[Membership]:
    return org.memberships.select_related("person").order_by("role", "person__name")


def person_of(user: Any) -> Person | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).first()


def person_by_id_number(id_type: str, id_number: str) -> Person:
    from ggzy.registry.services import person_id_index

    person = Person.objects.filter(
        id_type=id_type, id_number_index=person_id_index(id_type, id_number)
    ).first()
    if person is None:
        raise DomainError(ErrorCode.NOT_FOUND, "未找到该证件号码对应的人员，请先让其完成实名登记")
    return person


def memberships_of(user: Any) -> QuerySet[Membership]:
    person = person_of(user)
    if person is None:
        return Membership.objects.none()
    return person.memberships.filter(status="active").select_related(
        "organization", "centre", "department"
    )


def centre_get(code: str) -> TradingCentre:
    centre = TradingCentre.objects.filter(code=code).first()
    if centre is None:
        raise DomainError(ErrorCode.NOT_FOUND, "交易中心不存在", field="centre_code")
    return centre


def department_get(code: str) -> Department:
    dept = Department.objects.filter(code=code).first()
    if dept is None:
        raise DomainError(ErrorCode.NOT_FOUND, "监管部门不存在", field="department_code")
    return dept

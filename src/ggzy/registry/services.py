"""Every write to the registry (市场主体库). Each service runs in one transaction
and leaves a ledger entry (存证) inside it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F

from ggzy import clock, ledger
from ggzy.accounts.models import User
from ggzy.accounts.permissions import Perm, is_centre_staff, require
from ggzy.core import fieldcrypt
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.core.uploads import check_attachment
from ggzy.registry import identifiers as ids
from ggzy.registry.models import (
    ORGANISATION_ROLES,
    Department,
    EntityKey,
    EntityStatus,
    IdType,
    KeyPurpose,
    Membership,
    MembershipStatus,
    Organization,
    OrgKind,
    Performance,
    Person,
    Qualification,
    Role,
    TradingCentre,
)

ID_CONTEXT = "registry.person.id_number"
PHONE_CONTEXT = "registry.person.phone"


def _local_today() -> dt.date:
    from zoneinfo import ZoneInfo

    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def _normalise_id(id_type: str, id_number: str) -> str:
    number = id_number.strip().upper()
    if id_type == IdType.CITIZEN_ID:
        if not ids.is_valid_citizen_id(number, today=_local_today()):
            raise DomainError(ErrorCode.CITIZEN_ID_INVALID, field="id_number")
        return number
    if not (4 <= len(number) <= 30) or not number.replace("-", "").isalnum():
        raise DomainError(ErrorCode.VALIDATION, "证件号码格式不正确", field="id_number")
    return number


def person_id_index(id_type: str, id_number: str) -> str:
    return fieldcrypt.blind_index(f"{id_type}:{id_number.strip().upper()}", context=ID_CONTEXT)


def person_register(
    *, actor: User | None, name: str, id_type: str, id_number: str, phone: str = ""
) -> Person:
    """实名登记: register the real-name identity of ``actor`` (or of nobody, for staff import)."""
    name = name.strip()
    if not name or len(name) > 50:
        raise DomainError(ErrorCode.VALIDATION, "请填写姓名（不超过 50 字）", field="name")
    if id_type not in IdType.values:
        raise DomainError(ErrorCode.VALIDATION, "证件类型无效", field="id_type")
    number = _normalise_id(id_type, id_number)
    phone = phone.strip()
    if phone and (not phone.isdigit() or not 7 <= len(phone) <= 15):
        raise DomainError(ErrorCode.VALIDATION, "手机号码格式不正确", field="phone")
    index = person_id_index(id_type, number)
    if Person.objects.filter(id_type=id_type, id_number_index=index).exists():
        raise DomainError(ErrorCode.PERSON_DUPLICATE, field="id_number")
    if actor is not None and Person.objects.filter(user=actor).exists():
        raise DomainError(ErrorCode.PERSON_DUPLICATE, "您已完成实名登记")
    try:
        with transaction.atomic():
            person = Person.objects.create(
                user=actor,
                name=name,
                id_type=id_type,
                id_number_encrypted=fieldcrypt.encrypt(number, context=ID_CONTEXT),
                id_number_index=index,
                id_number_masked=ids.mask_citizen_id(number),
                phone_encrypted=fieldcrypt.encrypt(phone, context=PHONE_CONTEXT) if phone else None,
                phone_masked=mask_phone(phone) if phone else "",
                created_at=clock.now(),
            )
            ledger.record(
                "registry:person:registered",
                person,
                actor,
                {
                    "name": mask_name(name),
                    "id_type": id_type,
                    "id_masked": person.id_number_masked,
                    "id_commitment": index,
                },
            )
    except IntegrityError as exc:  # a concurrent registration of the same number won
        raise DomainError(ErrorCode.PERSON_DUPLICATE, field="id_number") from exc
    if actor is not None:
        actor.__dict__.pop("_ggzy_roles", None)
    return person


def person_reveal_id(*, viewer: User | None, person: Person) -> str:
    """The clear ID number, for the person themself and staff who may read personal data."""
    is_self = viewer is not None and person.user_id is not None and person.user_id == viewer.pk
    if not is_self:
        require(viewer, Perm.REGISTRY_PERSON_READ)
    return fieldcrypt.decrypt(bytes(person.id_number_encrypted), context=ID_CONTEXT)


def _person_of(actor: User | None) -> Person:
    if actor is None or not actor.is_authenticated:
        raise DomainError(ErrorCode.NOT_AUTHENTICATED)
    person = Person.objects.filter(user=actor).first()
    if person is None:
        raise DomainError(ErrorCode.PERSON_REQUIRED)
    return person


def _check_org_fields(
    *, uscc: str, name: str, kind: str, region_code: str, legal_representative: str
) -> str:
    code = ids.normalise_uscc(uscc)
    if not ids.is_valid_uscc(code):
        raise DomainError(ErrorCode.USCC_INVALID, field="uscc")
    if kind not in OrgKind.values:
        raise DomainError(ErrorCode.VALIDATION, "主体类型无效", field="kind")
    if code.startswith("N") and kind != OrgKind.RURAL_COLLECTIVE:
        raise DomainError(
            ErrorCode.VALIDATION,
            "以 N 开头的代码属于农村集体经济组织，请选择对应的主体类型",
            field="kind",
        )
    if not ids.is_valid_region_code(region_code):
        raise DomainError(ErrorCode.REGION_CODE_INVALID, field="region_code")
    if not name.strip() or len(name) > 200:
        raise DomainError(ErrorCode.VALIDATION, "请填写名称（不超过 200 字）", field="name")
    if not legal_representative.strip() or len(legal_representative) > 50:
        raise DomainError(ErrorCode.VALIDATION, "请填写法定代表人", field="legal_representative")
    return code


def public_profile(org: Organization) -> dict[str, Any]:
    """The public profile other platforms may rely on (no personal data beyond the
    legal representative's name, which the business licence shows publicly)."""
    today = _local_today()
    return {
        "uscc": org.uscc,
        "name": org.name,
        "kind": org.kind,
        "region_code": org.region_code,
        "legal_representative": org.legal_representative,
        "address": org.address,
        "established_on": org.established_on,
        "registered_capital_wan": org.registered_capital,
        "status": org.status,
        "roles": sorted(
            set(
                org.memberships.filter(
                    status=MembershipStatus.ACTIVE, role__in=ORGANISATION_ROLES
                ).values_list("role", flat=True)
            )
        ),
        "qualifications": [
            {
                "type": q.qual_type,
                "grade": q.grade,
                "certificate_no": q.certificate_no,
                "issuer": q.issuer,
                "valid_from": q.valid_from,
                "valid_to": q.valid_to,
                "valid_now": q.valid_from <= today <= q.valid_to,
                "file_sha256": q.file_sha256,
            }
            for q in org.qualifications.all()
        ],
        "registered_at": org.registered_at,
        "updated_at": org.updated_at,
        "version": org.version,
    }


def organization_register(
    *,
    actor: User | None,
    uscc: str,
    name: str,
    kind: str,
    region_code: str,
    legal_representative: str,
    roles: list[str],
    address: str = "",
    contact_phone: str = "",
    registered_capital: Decimal | None = None,
    established_on: dt.date | None = None,
    business_scope: str = "",
) -> Organization:
    """一网注册: register an organisation once; the registering person becomes its
    administrator (主体管理员) in each declared role."""
    person = _person_of(actor)
    require(actor, Perm.REGISTRY_ENTITY_WRITE)
    code = _check_org_fields(
        uscc=uscc,
        name=name,
        kind=kind,
        region_code=region_code,
        legal_representative=legal_representative,
    )
    if not roles:
        raise DomainError(ErrorCode.VALIDATION, "请至少选择一个主体角色", field="roles")
    for role in roles:
        if role not in ORGANISATION_ROLES:
            raise DomainError(ErrorCode.ROLE_NOT_SELF_SERVICE, field="roles")
    if Organization.objects.filter(uscc=code).exists():
        raise DomainError(ErrorCode.ENTITY_DUPLICATE, field="uscc")
    now = clock.now()
    try:
        with transaction.atomic():
            org = Organization.objects.create(
                uscc=code,
                name=name.strip(),
                kind=kind,
                region_code=region_code,
                legal_representative=legal_representative.strip(),
                address=address.strip(),
                contact_phone=contact_phone.strip(),
                registered_capital=registered_capital,
                established_on=established_on,
                business_scope=business_scope.strip(),
                registered_at=now,
                updated_at=now,
            )
            for role in sorted(set(roles)):
                Membership.objects.create(
                    person=person,
                    role=role,
                    organization=org,
                    is_admin=True,
                    granted_by=actor,
                    created_at=now,
                )
            ledger.record(
                "registry:organization:registered",
                org,
                actor,
                {"profile": public_profile(org)},
            )
    except IntegrityError as exc:
        raise DomainError(ErrorCode.ENTITY_DUPLICATE, field="uscc") from exc
    if actor is not None:
        actor.__dict__.pop("_ggzy_roles", None)
    return org


def can_manage_organization(user: User | None, org: Organization) -> bool:
    """主体管理员 of ``org`` or centre staff."""
    if user is None or not user.is_authenticated:
        return False
    if is_centre_staff(user):
        return True
    return Membership.objects.filter(
        organization=org, person__user=user, is_admin=True, status=MembershipStatus.ACTIVE
    ).exists()


def require_manage(actor: User | None, org: Organization, perm: Perm) -> None:
    require(actor, perm)
    if not can_manage_organization(actor, org):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, "只有该主体的管理员或交易中心工作人员可以操作"
        )


_UPDATABLE = ("name", "legal_representative", "address", "contact_phone", "business_scope")


def organization_update(
    *, actor: User | None, organization: Organization, expected_version: int, **changes: str
) -> Organization:
    """Change registered details; refused if someone else changed them first (409)."""
    require_manage(actor, organization, Perm.REGISTRY_ENTITY_WRITE)
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise DomainError(ErrorCode.VALIDATION, f"不能修改字段：{', '.join(sorted(unknown))}")
    fields = {k: v.strip() for k, v in changes.items()}
    if "name" in fields and not fields["name"]:
        raise DomainError(ErrorCode.VALIDATION, "名称不能为空", field="name")
    if "legal_representative" in fields and not fields["legal_representative"]:
        raise DomainError(ErrorCode.VALIDATION, "法定代表人不能为空", field="legal_representative")
    with transaction.atomic():
        updated = Organization.objects.filter(pk=organization.pk, version=expected_version).update(
            **fields, version=F("version") + 1, updated_at=clock.now()
        )
        if updated != 1:
            raise DomainError(ErrorCode.CONFLICT)
        organization.refresh_from_db()
        ledger.record(
            "registry:organization:updated",
            organization,
            actor,
            {"changes": fields, "version": organization.version},
        )
    return organization


def qualification_add(
    *,
    actor: User | None,
    organization: Organization,
    qual_type: str,
    certificate_no: str,
    issuer: str,
    valid_from: dt.date,
    valid_to: dt.date,
    grade: str = "",
    file: UploadedFile | None = None,
) -> Qualification:
    """资质登记. Expired certificates and bad files are refused before anything is written."""
    require_manage(actor, organization, Perm.REGISTRY_QUALIFICATION_WRITE)
    qual_type, certificate_no, issuer = qual_type.strip(), certificate_no.strip(), issuer.strip()
    if not qual_type or not certificate_no or not issuer:
        raise DomainError(ErrorCode.VALIDATION, "请填写资质类型、证书编号和发证机关")
    if valid_to < valid_from:
        raise DomainError(ErrorCode.QUALIFICATION_DATES, field="valid_to")
    if valid_to < _local_today():
        raise DomainError(ErrorCode.QUALIFICATION_EXPIRED, field="valid_to")
    digest = check_attachment(file) if file is not None else ""
    if Qualification.objects.filter(
        organization=organization, qual_type=qual_type, certificate_no=certificate_no
    ).exists():
        raise DomainError(ErrorCode.QUALIFICATION_DUPLICATE, field="certificate_no")
    try:
        with transaction.atomic():
            qual = Qualification(
                organization=organization,
                qual_type=qual_type,
                grade=grade.strip(),
                certificate_no=certificate_no,
                issuer=issuer,
                valid_from=valid_from,
                valid_to=valid_to,
                file_sha256=digest,
                created_at=clock.now(),
            )
            if file is not None:
                qual.file.save(file.name or "certificate", file, save=False)
            qual.save()
            ledger.record(
                "registry:qualification:added",
                qual,
                actor,
                {
                    "uscc": organization.uscc,
                    "type": qual_type,
                    "grade": qual.grade,
                    "certificate_no": certificate_no,
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "file_sha256": digest,
                },
            )
    except IntegrityError as exc:
        raise DomainError(ErrorCode.QUALIFICATION_DUPLICATE, field="certificate_no") from exc
    return qual


def performance_add(
    *,
    actor: User | None,
    organization: Organization,
    project_name: str,
    client_name: str,
    contract_amount: Decimal,
    completed_on: dt.date,
    started_on: dt.date | None = None,
    description: str = "",
    file: UploadedFile | None = None,
) -> Performance:
    """业绩登记."""
    require_manage(actor, organization, Perm.REGISTRY_QUALIFICATION_WRITE)
    if not project_name.strip() or not client_name.strip():
        raise DomainError(ErrorCode.VALIDATION, "请填写项目名称和发包人")
    if contract_amount <= 0:
        raise DomainError(ErrorCode.VALIDATION, "合同金额必须大于 0", field="contract_amount")
    if completed_on > _local_today():
        raise DomainError(ErrorCode.VALIDATION, "完成日期不能晚于今天", field="completed_on")
    if started_on is not None and started_on > completed_on:
        raise DomainError(ErrorCode.VALIDATION, "开始日期不能晚于完成日期", field="started_on")
    digest = check_attachment(file) if file is not None else ""
    with transaction.atomic():
        perf = Performance(
            organization=organization,
            project_name=project_name.strip(),
            client_name=client_name.strip(),
            contract_amount=contract_amount,
            started_on=started_on,
            completed_on=completed_on,
            description=description.strip(),
            file_sha256=digest,
            created_at=clock.now(),
        )
        if file is not None:
            perf.file.save(file.name or "proof", file, save=False)
        perf.save()
        ledger.record(
            "registry:performance:added",
            perf,
            actor,
            {
                "uscc": organization.uscc,
                "project_name": perf.project_name,
                "contract_amount": contract_amount,
                "completed_on": completed_on,
                "file_sha256": digest,
            },
        )
    return perf


CENTRE_GRANTED_ROLES = frozenset({Role.CENTRE_STAFF, Role.REGULATOR, Role.EXPERT})


def membership_grant(
    *,
    actor: User | None,
    person: Person,
    role: str,
    organization: Organization | None = None,
    centre: TradingCentre | None = None,
    department: Department | None = None,
    is_admin: bool = False,
) -> Membership:
    """Grant ``role`` to ``person``. Staff, regulator and expert roles are granted by
    centre staff; organisation roles by the organisation's administrator."""
    if role not in Role.values:
        raise DomainError(ErrorCode.VALIDATION, "角色无效", field="role")
    role = Role(role)
    if role in CENTRE_GRANTED_ROLES:
        require(actor, Perm.REGISTRY_MEMBERSHIP_GRANT)
    elif role in ORGANISATION_ROLES:
        if organization is None:
            raise DomainError(ErrorCode.VALIDATION, "请指定市场主体", field="organization")
        require_manage(actor, organization, Perm.REGISTRY_MEMBERSHIP_WRITE)
    else:
        require(actor, Perm.REGISTRY_MEMBERSHIP_GRANT)
    if role == Role.CENTRE_STAFF and centre is None:
        raise DomainError(ErrorCode.VALIDATION, "请指定交易中心", field="centre")
    if role == Role.REGULATOR and department is None:
        raise DomainError(ErrorCode.VALIDATION, "请指定监管部门", field="department")
    if role not in ORGANISATION_ROLES and role != Role.EXPERT:
        organization = None
    active = Membership.objects.filter(
        person=person,
        role=role,
        organization=organization,
        centre=centre if role == Role.CENTRE_STAFF else None,
        department=department if role == Role.REGULATOR else None,
        status=MembershipStatus.ACTIVE,
    )
    if active.exists():
        raise DomainError(ErrorCode.MEMBERSHIP_DUPLICATE)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                person=person,
                role=role,
                organization=organization,
                centre=centre if role == Role.CENTRE_STAFF else None,
                department=department if role == Role.REGULATOR else None,
                is_admin=is_admin and role in ORGANISATION_ROLES,
                granted_by=actor,
                created_at=clock.now(),
            )
            ledger.record(
                "registry:membership:granted",
                membership,
                actor,
                {
                    "person": person.pk,
                    "role": role.value,
                    "organization": organization.uscc if organization else None,
                    "centre": centre.code if centre and role == Role.CENTRE_STAFF else None,
                    "department": (
                        department.code if department and role == Role.REGULATOR else None
                    ),
                    "is_admin": membership.is_admin,
                },
            )
    except IntegrityError as exc:
        raise DomainError(ErrorCode.MEMBERSHIP_DUPLICATE) from exc
    return membership


def membership_revoke(*, actor: User | None, membership: Membership) -> Membership:
    if membership.role in ORGANISATION_ROLES and membership.organization is not None:
        require_manage(actor, membership.organization, Perm.REGISTRY_MEMBERSHIP_WRITE)
    else:
        require(actor, Perm.REGISTRY_MEMBERSHIP_GRANT)
    with transaction.atomic():
        changed = Membership.objects.filter(
            pk=membership.pk, status=MembershipStatus.ACTIVE
        ).update(status=MembershipStatus.REVOKED)
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT, "该角色已被撤销")
        membership.refresh_from_db()
        ledger.record("registry:membership:revoked", membership, actor, {"role": membership.role})
    return membership


def organization_set_status(
    *, actor: User | None, organization: Organization, status: str, reason: str
) -> Organization:
    """Suspend (暂停), restore or deregister (注销) an organisation — centre staff only."""
    require(actor, Perm.REGISTRY_MEMBERSHIP_GRANT)
    if status not in EntityStatus.values:
        raise DomainError(ErrorCode.VALIDATION, "状态无效", field="status")
    if not reason.strip():
        raise DomainError(ErrorCode.VALIDATION, "请填写原因", field="reason")
    with transaction.atomic():
        previous = organization.status
        changed = Organization.objects.filter(pk=organization.pk, status=previous).update(
            status=status, version=F("version") + 1, updated_at=clock.now()
        )
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT)
        organization.refresh_from_db()
        ledger.record(
            "registry:organization:status_changed",
            organization,
            actor,
            {"from": previous, "to": status, "reason": reason.strip()},
        )
    return organization


def reference_data_saved(
    *, actor: User | None, obj: TradingCentre | Department, changed: list[str], created: bool
) -> None:
    """Save centre/department reference data edited in the back office, with its entry."""
    require(actor, Perm.REGISTRY_MEMBERSHIP_GRANT)
    with transaction.atomic():
        obj.save()
        ledger.record(
            f"registry:{obj._meta.model_name}:{'created' if created else 'updated'}",
            obj,
            actor,
            {"code": obj.code, "name": obj.name, "changed": sorted(changed)},
        )


def entity_key_register(
    *,
    actor: User | None,
    purpose: str,
    public_key: str,
    organization: Organization | None = None,
    person: Person | None = None,
) -> EntityKey:
    """Register a public key for an organisation (its administrator) or for oneself."""
    from ggzy.crypto.errors import CryptoError
    from ggzy.crypto.suites import GM, INTL, KeyAlgorithm, PublicKey

    if (organization is None) == (person is None):
        raise DomainError(ErrorCode.VALIDATION, "公钥须属于一个主体或一个人员")
    if organization is not None:
        require_manage(actor, organization, Perm.REGISTRY_ENTITY_WRITE)
    elif actor is None or person is None or person.user_id != getattr(actor, "pk", None):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只能登记自己的公钥")
    if purpose not in KeyPurpose.values:
        raise DomainError(ErrorCode.VALIDATION, "用途无效", field="purpose")
    try:
        key = PublicKey.from_text(public_key.strip())
    except (CryptoError, ValueError) as exc:
        raise DomainError(ErrorCode.KEY_INVALID, field="public_key") from exc
    sign_algs = {KeyAlgorithm.ED25519, KeyAlgorithm.SM2}
    enc_algs = {KeyAlgorithm.X25519, KeyAlgorithm.SM2}
    if key.algorithm not in (sign_algs if purpose == KeyPurpose.SIGN else enc_algs):
        raise DomainError(ErrorCode.KEY_INVALID, "密钥算法与用途不符", field="public_key")
    suite = GM if key.algorithm is KeyAlgorithm.SM2 else INTL
    text = key.to_text()
    if EntityKey.objects.filter(public_key=text).exists():
        raise DomainError(ErrorCode.CONFLICT, "该公钥已登记", field="public_key")
    with transaction.atomic():
        row = EntityKey.objects.create(
            organization=organization,
            person=person,
            purpose=purpose,
            public_key=text,
            key_id=suite.key_id(key),
            created_at=clock.now(),
        )
        ledger.record(
            "registry:key:registered",
            row,
            actor,
            {
                "owner": organization.uscc if organization else f"person:{person.pk}",  # type: ignore[union-attr]
                "purpose": purpose,
                "public_key": text,
                "key_id": row.key_id,
            },
        )
    return row


def entity_key_revoke(*, actor: User | None, key: EntityKey) -> EntityKey:
    if key.organization is not None:
        require_manage(actor, key.organization, Perm.REGISTRY_ENTITY_WRITE)
    elif key.person is None or key.person.user_id != getattr(actor, "pk", None):
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    with transaction.atomic():
        if (
            EntityKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
                revoked_at=clock.now()
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "该公钥已撤销")
        key.refresh_from_db()
        ledger.record("registry:key:revoked", key, actor, {"key_id": key.key_id})
    return key

"""The one permission model, used by pages and API alike.

Permissions are named ``<scope>:<resource>:<action>``. A user holds the union of
the permissions of their active roles (角色); an API token narrows that to its
scopes. Object-level rules (e.g. "admin of this organisation") are ``can_*``
guards in each app's ``permissions`` helpers, built on these.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ggzy.registry.models import MembershipStatus, Role

if TYPE_CHECKING:
    from collections.abc import Iterable


class Perm(StrEnum):
    REGISTRY_ENTITY_READ = "registry:entity:read"
    REGISTRY_ENTITY_WRITE = "registry:entity:write"
    REGISTRY_QUALIFICATION_WRITE = "registry:qualification:write"
    REGISTRY_MEMBERSHIP_WRITE = "registry:membership:write"
    REGISTRY_MEMBERSHIP_GRANT = "registry:membership:grant"  # centre-granted roles
    REGISTRY_PERSON_READ = "registry:person:read"  # unmasked personal data
    LEDGER_ENTRY_READ = "ledger:entry:read"
    PROJECTS_PROJECT_WRITE = "projects:project:write"
    TENDERING_TENDER_WRITE = "tendering:tender:write"
    TENDERING_BID_WRITE = "tendering:bid:write"
    TENDERING_DEPOSIT_WRITE = "tendering:deposit:write"
    EXPERTS_POOL_WRITE = "experts:pool:write"  # 专家库 maintenance (centre staff)
    EXPERTS_DRAW_WRITE = "experts:draw:write"  # request a draw (tenderer/agency/staff)
    EVALUATION_SESSION_WRITE = "evaluation:session:write"  # run an evaluation (staff)
    EVALUATION_SCORE_WRITE = "evaluation:score:write"  # score as a committee member
    EVALUATION_SESSION_READ = "evaluation:session:read"  # live read-only view
    DISCLOSURE_SUBSCRIPTION_WRITE = "disclosure:subscription:write"
    OPENDATA_EXPORT_READ = "opendata:export:read"  # data-spec exports, quality report
    ACCOUNTS_SELF_READ = "accounts:self:read"


# Every signed-in person with a real-name identity may register and manage their own
# organisations; object-level guards decide which organisation.
_PERSON_BASE = frozenset(
    {
        Perm.REGISTRY_ENTITY_READ,
        Perm.REGISTRY_ENTITY_WRITE,
        Perm.REGISTRY_QUALIFICATION_WRITE,
        Perm.REGISTRY_MEMBERSHIP_WRITE,
        Perm.ACCOUNTS_SELF_READ,
        Perm.DISCLOSURE_SUBSCRIPTION_WRITE,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.PUBLIC: _PERSON_BASE,
    Role.TENDERER: _PERSON_BASE
    | {Perm.PROJECTS_PROJECT_WRITE, Perm.TENDERING_TENDER_WRITE, Perm.EXPERTS_DRAW_WRITE},
    Role.AGENCY: _PERSON_BASE
    | {Perm.PROJECTS_PROJECT_WRITE, Perm.TENDERING_TENDER_WRITE, Perm.EXPERTS_DRAW_WRITE},
    Role.BIDDER: _PERSON_BASE | {Perm.TENDERING_BID_WRITE},
    Role.EXPERT: _PERSON_BASE | {Perm.EVALUATION_SCORE_WRITE},
    Role.REGULATOR: _PERSON_BASE
    | {Perm.LEDGER_ENTRY_READ, Perm.EVALUATION_SESSION_READ, Perm.OPENDATA_EXPORT_READ},
    Role.CENTRE_STAFF: frozenset(Perm),
}

ANONYMOUS_PERMISSIONS = frozenset({Perm.REGISTRY_ENTITY_READ})
ACCOUNT_ONLY_PERMISSIONS = frozenset({Perm.REGISTRY_ENTITY_READ, Perm.ACCOUNTS_SELF_READ})


def parse_scopes(scopes: Iterable[str]) -> frozenset[Perm]:
    """Raise ValueError naming the first unknown scope."""
    known = {p.value for p in Perm}
    result: set[Perm] = set()
    for scope in scopes:
        if scope not in known:
            raise ValueError(scope)
        result.add(Perm(scope))
    return frozenset(result)


def active_roles(user: Any) -> frozenset[Role]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_ggzy_roles", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    roles: frozenset[Role] = frozenset()
    if person is not None:
        roles = frozenset(
            Role(r)
            for r in person.memberships.filter(status=MembershipStatus.ACTIVE).values_list(
                "role", flat=True
            )
        )
    user._ggzy_roles = roles
    return roles


def user_permissions(user: Any) -> frozenset[Perm]:
    """Permissions of ``user`` from its roles, narrowed by the API token in use if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS_PERMISSIONS
    perms: set[Perm] = set(ACCOUNT_ONLY_PERMISSIONS)
    if getattr(user, "is_superuser", False):
        perms = set(Perm)
    has_person = _has_person(user)
    if has_person:
        perms |= _PERSON_BASE
    for role in active_roles(user):
        perms |= ROLE_PERMISSIONS[role]
    token_scopes: frozenset[Perm] | None = getattr(user, "_ggzy_token_scopes", None)
    if token_scopes is not None:
        perms &= token_scopes | ANONYMOUS_PERMISSIONS
    return frozenset(perms)


def _has_person(user: Any) -> bool:
    try:
        return user.person is not None
    except Exception:  # RelatedObjectDoesNotExist
        return False


def has_perm(user: Any, perm: Perm) -> bool:
    return perm in user_permissions(user)


def is_centre_staff(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or Role.CENTRE_STAFF in active_roles(user)


def require(user: Any, perm: Perm) -> None:
    """Raise the right DomainError when ``user`` lacks ``perm``."""
    from ggzy.core.errors import DomainError, ErrorCode

    if perm in user_permissions(user):
        return
    if user is None or not getattr(user, "is_authenticated", False):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED)
    if getattr(user, "_ggzy_token_scopes", None) is not None:
        raise DomainError(ErrorCode.TOKEN_SCOPE, detail={"required_scope": perm.value})
    raise DomainError(ErrorCode.PERMISSION_DENIED, detail={"required": perm.value})

"""Accounts API: sign-up, who-am-I, API tokens."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from ggzy.accounts import services
from ggzy.accounts.models import ApiToken
from ggzy.accounts.permissions import Perm, active_roles, require, user_permissions
from ggzy.accounts.schemas import MeOut, ScopeOut, SignupIn, TokenCreatedOut, TokenIn, TokenOut
from ggzy.core.auth import request_user, via_token
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.registry import selectors as registry_selectors

router = Router(tags=["accounts 账户"])


@router.post("/signup", response={201: MeOut}, summary="注册账户并实名登记 Sign up")
def signup(request: HttpRequest, body: SignupIn) -> Status[Any]:
    user = services.user_signup(**body.dict())
    return Status(201, _me(user))


def _me(user: Any) -> dict[str, Any]:
    person = registry_selectors.person_of(user)
    return {
        "username": user.username,
        "name": person.name if person else None,
        "id_masked": person.id_number_masked if person else None,
        "totp_enabled": user.totp_enabled,
        "roles": sorted(r.value for r in active_roles(user)),
        "permissions": sorted(p.value for p in user_permissions(user)),
        "memberships": [
            {
                "role": m.role,
                "organization": m.organization.uscc if m.organization else None,
                "centre": m.centre.code if m.centre else None,
                "department": m.department.code if m.department else None,
                "is_admin": m.is_admin,
            }
            for m in registry_selectors.memberships_of(user)
        ],
    }


@router.get("/me", response=MeOut, summary="当前用户 Who am I")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    require(user, Perm.ACCOUNTS_SELF_READ)
    return _me(user)


@router.get("/scopes", response=list[ScopeOut], summary="授权范围 Known scopes")
def scopes(request: HttpRequest) -> list[dict[str, str]]:
    return [{"scope": p.value} for p in Perm]


def _session_user(request: HttpRequest) -> Any:
    user = request_user(request)
    if not getattr(user, "is_authenticated", False):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED)
    if via_token(request):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "访问令牌不能用于管理令牌，请登录后操作")
    return user


@router.get("/tokens", response=list[TokenOut], summary="我的访问令牌 My API tokens")
def list_tokens(request: HttpRequest) -> Any:
    return list(ApiToken.objects.filter(user=_session_user(request)))


@router.post("/tokens", response={201: TokenCreatedOut}, summary="创建访问令牌 Create a token")
def create_token(request: HttpRequest, body: TokenIn) -> Status[Any]:
    token, raw = services.token_create(
        actor=_session_user(request),
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
    )
    out = TokenOut.from_orm(token).dict()
    out["token"] = raw
    return Status(201, out)


@router.delete("/tokens/{prefix}", response={204: None}, summary="撤销访问令牌 Revoke")
def revoke_token(request: HttpRequest, prefix: str) -> Status[None]:
    user = _session_user(request)
    token = ApiToken.objects.filter(user=user, prefix=prefix).first()
    if token is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    services.token_revoke(actor=user, token=token)
    return Status(204, None)

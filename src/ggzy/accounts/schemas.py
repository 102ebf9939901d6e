from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class SignupIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=200)
    name: str = Field(description="姓名")
    id_type: str = Field("01", description="证件类型: 01 居民身份证 …")
    id_number: str = Field(description="证件号码")
    phone: str = ""
    email: str = ""


class MembershipOut(Schema):
    role: str
    organization: str | None
    centre: str | None
    department: str | None
    is_admin: bool


class MeOut(Schema):
    username: str
    name: str | None
    id_masked: str | None
    totp_enabled: bool
    roles: list[str]
    permissions: list[str]
    memberships: list[MembershipOut]


class TokenIn(Schema):
    name: str
    scopes: list[str]
    expires_at: dt.datetime | None = None


class TokenOut(Schema):
    prefix: str
    name: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="完整令牌，只显示这一次 — shown once")


class ScopeOut(Schema):
    scope: str

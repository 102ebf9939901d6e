"""Account writes: sign-up with real-name identity, TOTP, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import pyotp
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction

from ggzy import clock, ledger
from ggzy.accounts.models import ApiToken, User
from ggzy.accounts.permissions import parse_scopes, user_permissions
from ggzy.core import fieldcrypt
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.registry.services import person_register

TOTP_CONTEXT = "accounts.user.totp_secret"
TOKEN_PREFIX = "ggzy_"  # noqa: S105 - a prefix, not a secret


def user_signup(
    *,
    username: str,
    password: str,
    name: str,
    id_type: str,
    id_number: str,
    phone: str = "",
    email: str = "",
) -> User:
    """注册账户并实名登记 in one transaction: either both exist afterwards or neither."""
    username = username.strip()
    if not username or len(username) > 150 or not username.replace("_", "").isalnum():
        raise DomainError(
            ErrorCode.VALIDATION, "用户名只能包含字母、数字和下划线", field="username"
        )
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(ErrorCode.USERNAME_TAKEN, field="username")
    candidate = User(username=username, email=email.strip())
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise DomainError(
            ErrorCode.PASSWORD_WEAK, "；".join(exc.messages), field="password"
        ) from exc
    with transaction.atomic():
        candidate.set_password(password)
        candidate.save()
        ledger.record(
            "accounts:user:signed_up", candidate, candidate, {"username": candidate.username}
        )
        person_register(
            actor=candidate, name=name, id_type=id_type, id_number=id_number, phone=phone
        )
    return candidate


def totp_begin(*, actor: User) -> str:
    """Create (but do not yet enable) a TOTP secret; return its otpauth:// URI."""
    if actor.totp_enabled:
        raise DomainError(ErrorCode.CONFLICT, "动态口令已启用")
    secret = pyotp.random_base32()
    with transaction.atomic():
        actor.totp_secret_encrypted = fieldcrypt.encrypt(secret, context=TOTP_CONTEXT)
        actor.save(update_fields=["totp_secret_encrypted"])
        ledger.record("accounts:totp:begun", actor, actor, {})
    return pyotp.TOTP(secret).provisioning_uri(name=actor.username, issuer_name="ggzy")


def _totp_secret(user: User) -> str | None:
    if not user.totp_secret_encrypted:
        return None
    return fieldcrypt.decrypt(bytes(user.totp_secret_encrypted), context=TOTP_CONTEXT)


def totp_check(*, user: User, code: str) -> bool:
    """Verify a 6-digit code (±1 step) and refuse a code already used (replay)."""
    secret = _totp_secret(user)
    code = code.strip()
    if secret is None or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    now = clock.now()
    step_now = int(now.timestamp()) // totp.interval
    for step in (step_now - 1, step_now, step_now + 1):
        if step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.at(step * totp.interval), code):
            # compare-and-set so two concurrent logins cannot both use the same code
            used = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(
                totp_last_step=step
            )
            if used == 1:
                user.totp_last_step = step
                return True
    return False


def totp_enable(*, actor: User, code: str) -> None:
    if actor.totp_enabled:
        raise DomainError(ErrorCode.CONFLICT, "动态口令已启用")
    if not totp_check(user=actor, code=code):
        raise DomainError(ErrorCode.TOTP_INVALID, field="code")
    with transaction.atomic():
        User.objects.filter(pk=actor.pk).update(totp_enabled=True)
        actor.totp_enabled = True
        ledger.record("accounts:totp:enabled", actor, actor, {})


def totp_disable(*, actor: User, code: str) -> None:
    if not actor.totp_enabled:
        raise DomainError(ErrorCode.CONFLICT, "动态口令未启用")
    if not totp_check(user=actor, code=code):
        raise DomainError(ErrorCode.TOTP_INVALID, field="code")
    with transaction.atomic():
        User.objects.filter(pk=actor.pk).update(totp_enabled=False, totp_secret_encrypted=None)
        actor.totp_enabled = False
        actor.totp_secret_encrypted = None
        ledger.record("accounts:totp:disabled", actor, actor, {})


def login_recorded(*, user: User, method: str) -> None:
    """Leave evidence of a successful login (登录留痕)."""
    with transaction.atomic():
        ledger.record("accounts:user:logged_in", user, user, {"method": method})


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *,
    actor: User,
    name: str,
    scopes: list[str],
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue an API token; returns the row and the full token, which is shown only once.

    A token can carry only permissions its owner holds.
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError(ErrorCode.VALIDATION, "请填写令牌名称", field="name")
    if not scopes:
        raise DomainError(ErrorCode.VALIDATION, "请至少选择一个授权范围", field="scopes")
    try:
        wanted = parse_scopes(scopes)
    except ValueError as exc:
        raise DomainError(
            ErrorCode.SCOPE_UNKNOWN, f"未知的授权范围：{exc.args[0]}", field="scopes"
        ) from exc
    missing = wanted - user_permissions(actor)
    if missing:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            "不能授予自己没有的权限：" + ", ".join(sorted(missing)),
            field="scopes",
        )
    if expires_at is not None and expires_at <= clock.now():
        raise DomainError(ErrorCode.VALIDATION, "过期时间必须晚于现在", field="expires_at")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=prefix,
            secret_sha256=_hash_secret(secret),
            scopes=sorted(s.value for s in wanted),
            created_at=clock.now(),
            expires_at=expires_at,
        )
        ledger.record(
            "accounts:token:created",
            token,
            actor,
            {"name": name, "scopes": token.scopes, "expires_at": expires_at},
        )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise DomainError(ErrorCode.NOT_FOUND)
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=clock.now()
        )
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT, "令牌已撤销")
        ledger.record("accounts:token:revoked", token, actor, {"name": token.name})


def token_authenticate(raw: str) -> User:
    """Resolve a bearer token to its user, with the token's scopes attached."""
    if not raw.startswith(TOKEN_PREFIX):
        raise DomainError(ErrorCode.TOKEN_INVALID)
    prefix, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if (
        token is None
        or not secret
        or not hmac.compare_digest(token.secret_sha256, _hash_secret(secret))
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= clock.now())
        or not token.user.is_active
    ):
        raise DomainError(ErrorCode.TOKEN_INVALID)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    user = token.user
    user._ggzy_token_scopes = parse_scopes(token.scopes)  # type: ignore[attr-defined]
    return user


def user_provision(
    *,
    actor: User | None,
    username: str,
    name: str,
    id_type: str,
    id_number: str,
    phone: str = "",
    password: str | None = None,
) -> User:
    """Centre staff create an account for someone else (e.g. an expert or a regulator).

    Without ``password`` the account cannot log in until a password is set.
    """
    from ggzy.accounts.permissions import Perm, require

    require(actor, Perm.REGISTRY_MEMBERSHIP_GRANT)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(ErrorCode.USERNAME_TAKEN, field="username")
    with transaction.atomic():
        user = User(username=username)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        ledger.record("accounts:user:provisioned", user, actor, {"username": username})
        person_register(actor=user, name=name, id_type=id_type, id_number=id_number, phone=phone)
    return user


def centre_bootstrap_staff(*, user: User) -> None:
    """First start only: make ``user`` a superuser when no centre staff exists yet."""
    from ggzy.registry.models import Membership, Role

    if Membership.objects.filter(role=Role.CENTRE_STAFF, status="active").exists():
        raise DomainError(ErrorCode.CONFLICT, "交易中心已有工作人员，不能再次初始化")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
        user.is_superuser = user.is_staff = True
        ledger.record("accounts:user:bootstrapped", user, "system:bootstrap", {})

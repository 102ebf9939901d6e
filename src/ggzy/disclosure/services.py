"""Writes of the disclosure app: publishing notices (called by other apps inside their own
transaction), subscriptions with double opt-in. Every write records a ledger entry in the
same transaction; mail and webhooks go out later through the outbox (``delivery``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import secrets
from typing import Any

import nh3
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.urls import reverse

from ggzy import clock, ledger
from ggzy.accounts.permissions import Perm, require
from ggzy.core import fieldcrypt
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.disclosure.models import (
    Channel,
    Notice,
    Outbox,
    Stage,
    Subscription,
    SubscriptionStatus,
)
from ggzy.tendering.html import sanitise

TOKEN_SALT = "ggzy.disclosure.subscription"  # noqa: S105 - a signing namespace
CONFIRM_MAX_AGE = 7 * 24 * 3600
SECRET_CONTEXT = "disclosure.webhook_secret"  # noqa: S105 - an AAD label
SUBSCRIBER_CONTEXT = "disclosure.subscriber"
_REGION = re.compile(r"^\d{6}$")
TITLE_MAX = 600


def derived_title(title: str, suffix: str) -> str:
    """A stage notice's title: the tender's title with the stage in brackets, the tender's
    part shortened (…) when both would pass ``TITLE_MAX`` — a 600-character tender title must
    not make its 终止公告 or 流标公告 impossible to publish."""
    tail = f"（{suffix}）"
    if len(title) + len(tail) <= TITLE_MAX:
        return title + tail
    return title[: TITLE_MAX - len(tail) - 1] + "…" + tail


_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6]|blockquote|table|ul|ol)>|<br\s*/?>", re.I)


def plain_text(body_html: str) -> str:
    """The readable text of sanitised HTML: tags dropped, entities decoded, blocks as lines."""
    marked = _BLOCK_END.sub(lambda m: m.group(0) + "\n", body_html)
    text = html.unescape(nh3.clean(marked, tags=set()))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def search_source(title: str, text: str) -> str:
    return f"{title}\n{text}".lower()


def site_url() -> str:
    return str(getattr(settings, "GGZY_PUBLIC_URL", "") or "http://127.0.0.1:8000").rstrip("/")


def notice_publish(
    *,
    actor: Any,
    key: str,
    trade_type: str,
    stage: str,
    region_code: str,
    title: str,
    body_html: str,
    subject_code: str,
    source_app: str,
    project_code: str = "",
    public_url: str = "",
    industry: str = "",
    facts: dict[str, Any] | None = None,
    published_at: dt.datetime | None = None,
) -> Notice:
    """发布公告: one public notice, idempotent on ``key`` (a repeat returns the stored one).
    Call inside your own transaction: the notice, its ledger entry and its outbox row commit
    or roll back with your change."""
    title = (title or "").strip()
    errors = {
        "stage": stage not in Stage.values,
        "title": not title or len(title) > TITLE_MAX,
        "region_code": not _REGION.match(region_code or ""),
        "trade_type": not trade_type or len(trade_type) > 40,
        "subject_code": not subject_code or len(subject_code) > 40,
        "key": not key or len(key) > 120,
    }
    bad = [name for name, failed in errors.items() if failed]
    if bad:
        raise DomainError(ErrorCode.NOTICE_INVALID, field=bad[0])
    existing = Notice.objects.filter(key=key).first()
    if existing is not None:
        return existing
    body = sanitise(body_html or "")
    text = plain_text(body)
    now = clock.now()
    with transaction.atomic():
        notice = Notice.objects.create(
            key=key,
            trade_type=trade_type,
            stage=stage,
            region_code=region_code,
            industry=industry,
            title=title,
            body_html=body,
            body_text=text,
            search_text=search_source(title, text),
            published_at=published_at or now,
            subject_code=subject_code,
            project_code=project_code,
            public_url=public_url,
            source_app=source_app,
            facts=facts or {},
        )
        Outbox.objects.create(notice=notice, created_at=now)
        ledger.record(
            "disclosure:notice:published",
            notice,
            actor,
            {
                "key": key,
                "stage": stage,
                "trade_type": trade_type,
                "subject": subject_code,
                "title": title,
                "body_sha256": hashlib.sha256(body.encode()).hexdigest(),
                "published_at": notice.published_at,
            },
        )
    return notice


# --------------------------------------------------------------------------- subscriptions


def _filters(keyword: str, trade_type: str, region_code: str, industry: str) -> dict[str, str]:
    keyword = (keyword or "").strip()
    region_code = (region_code or "").strip()
    if len(keyword) > 100:
        raise DomainError(ErrorCode.SUBSCRIPTION_INVALID, "关键词不超过 100 字", field="keyword")
    if region_code and not _REGION.match(region_code):
        raise DomainError(ErrorCode.REGION_CODE_INVALID, field="region_code")
    if len(trade_type or "") > 40 or len(industry or "") > 40:
        raise DomainError(ErrorCode.SUBSCRIPTION_INVALID, field="trade_type")
    return {
        "keyword": keyword.lower(),
        "trade_type": (trade_type or "").strip(),
        "region_code": region_code,
        "industry": (industry or "").strip(),
    }


def make_token(subscription: Subscription, action: str) -> str:
    return signing.dumps({"s": str(subscription.pk), "a": action}, salt=TOKEN_SALT)


def _read_token(token: str, action: str, max_age: int | None) -> Subscription:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise DomainError(ErrorCode.SUBSCRIPTION_TOKEN_INVALID) from exc
    if not isinstance(data, dict) or data.get("a") != action:
        raise DomainError(ErrorCode.SUBSCRIPTION_TOKEN_INVALID)
    sub = Subscription.objects.filter(pk=str(data.get("s"))).first()
    if sub is None:
        raise DomainError(ErrorCode.SUBSCRIPTION_NOT_FOUND)
    return sub


def subscription_create(
    *,
    actor: Any,
    channel: str,
    email: str = "",
    webhook_url: str = "",
    keyword: str = "",
    trade_type: str = "",
    region_code: str = "",
    industry: str = "",
) -> tuple[Subscription, str]:
    """订阅: e-mail subscriptions (anyone, signed in or not) wait for the confirmation link
    (double opt-in); webhook subscriptions need a signed-in person and are active at once.
    Returns the subscription and, for a webhook, its signing secret (shown once)."""
    signed_in = bool(getattr(actor, "is_authenticated", False))
    if signed_in:
        require(actor, Perm.DISCLOSURE_SUBSCRIPTION_WRITE)
    fields = _filters(keyword, trade_type, region_code, industry)
    now = clock.now()
    secret = ""
    if channel == Channel.EMAIL:
        email = (email or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError(
                ErrorCode.SUBSCRIPTION_INVALID, "请填写有效的电子邮件地址", field="email"
            ) from exc
        status = SubscriptionStatus.PENDING
        target = {"email": email}
    elif channel == Channel.WEBHOOK:
        if not signed_in:
            raise DomainError(ErrorCode.NOT_AUTHENTICATED, "Webhook 订阅需要登录")
        webhook_url = (webhook_url or "").strip()
        try:
            URLValidator(schemes=["http", "https"])(webhook_url)
        except ValidationError as exc:
            raise DomainError(
                ErrorCode.SUBSCRIPTION_INVALID, "请填写有效的 http(s) 地址", field="webhook_url"
            ) from exc
        if len(webhook_url) > 500:
            raise DomainError(ErrorCode.SUBSCRIPTION_INVALID, field="webhook_url")
        secret = secrets.token_urlsafe(32)
        status = SubscriptionStatus.ACTIVE
        target = {"webhook_url": webhook_url}
    else:
        raise DomainError(ErrorCode.SUBSCRIPTION_INVALID, "接收方式无效", field="channel")
    with transaction.atomic():
        sub = Subscription.objects.create(
            user=actor if signed_in else None,
            channel=channel,
            secret=fieldcrypt.encrypt(secret, context=SECRET_CONTEXT) if secret else None,
            status=status,
            created_at=now,
            confirmed_at=now if status == SubscriptionStatus.ACTIVE else None,
            **target,
            **fields,
        )
        ledger.record(
            "disclosure:subscription:created",
            sub,
            actor if signed_in else None,
            {
                "channel": channel,
                "subscriber": fieldcrypt.blind_index(
                    email or webhook_url, context=SUBSCRIBER_CONTEXT
                ),
                **fields,
                "status": status,
            },
        )
        if channel == Channel.EMAIL:
            transaction.on_commit(lambda: send_confirmation(sub))
    return sub, secret


def send_confirmation(sub: Subscription) -> None:
    """The double opt-in mail (after commit)."""
    link = site_url() + reverse(
        "disclosure:subscription_confirm", args=[make_token(sub, "confirm")]
    )
    conditions = describe(sub)
    send_mail(
        subject=f"【{settings.GGZY_SITE_NAME}】请确认信息订阅",
        message=(
            f"您（或他人使用您的邮箱）订阅了公告推送：{conditions}。\n\n"
            f"请在 7 日内打开下面的链接确认订阅：\n{link}\n\n"
            "如非本人操作，请忽略本邮件，您不会收到任何推送。"
        ),
        from_email=None,
        recipient_list=[sub.email],
    )


def describe(sub: Subscription) -> str:
    parts = [
        f"关键词「{sub.keyword}」" if sub.keyword else "",
        f"交易类型 {sub.trade_type}" if sub.trade_type else "",
        f"地区 {sub.region_code}" if sub.region_code else "",
        f"行业 {sub.industry}" if sub.industry else "",
    ]
    return "，".join(p for p in parts if p) or "全部公告"


def subscription_confirm(*, token: str) -> Subscription:
    sub = _read_token(token, "confirm", CONFIRM_MAX_AGE)
    if sub.status == SubscriptionStatus.ACTIVE:
        return sub
    with transaction.atomic():
        changed = Subscription.objects.filter(pk=sub.pk, status=SubscriptionStatus.PENDING).update(
            status=SubscriptionStatus.ACTIVE, confirmed_at=clock.now()
        )
        if changed != 1:
            raise DomainError(ErrorCode.SUBSCRIPTION_TOKEN_INVALID, "该订阅已退订，请重新订阅")
        sub.refresh_from_db()
        ledger.record("disclosure:subscription:confirmed", sub, None, {"channel": sub.channel})
    return sub


def _cancel(sub: Subscription, actor: Any) -> Subscription:
    with transaction.atomic():
        changed = (
            Subscription.objects.filter(pk=sub.pk)
            .exclude(status=SubscriptionStatus.CANCELLED)
            .update(status=SubscriptionStatus.CANCELLED, cancelled_at=clock.now())
        )
        sub.refresh_from_db()
        if changed:
            ledger.record("disclosure:subscription:cancelled", sub, actor, {"channel": sub.channel})
    return sub


def subscription_unsubscribe(*, token: str) -> Subscription:
    """退订 by the link in every mail (no login, no expiry)."""
    return _cancel(_read_token(token, "unsubscribe", None), None)


def subscription_cancel(*, actor: Any, subscription: Subscription) -> Subscription:
    require(actor, Perm.DISCLOSURE_SUBSCRIPTION_WRITE)
    if subscription.user_id != actor.pk:
        raise DomainError(ErrorCode.SUBSCRIPTION_NOT_FOUND)
    return _cancel(subscription, actor)


def webhook_secret(sub: Subscription) -> bytes:
    assert sub.secret is not None
    return fieldcrypt.decrypt(bytes(sub.secret), context=SECRET_CONTEXT).encode()

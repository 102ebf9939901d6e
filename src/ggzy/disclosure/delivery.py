"""推送 worker: the outbox written with each notice is matched against active subscriptions
(``outbox_process``), then each delivery is sent by e-mail or signed webhook and retried with
exponential backoff (``deliveries_send``). Run by ``ggzy disclosure deliver``; never inline
in a request."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse

from ggzy import clock, ledger
from ggzy.disclosure import webhook_signing
from ggzy.disclosure.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notice,
    Outbox,
    Subscription,
    SubscriptionStatus,
)
from ggzy.disclosure.services import make_token, site_url, webhook_secret

MAX_ATTEMPTS = 6
BACKOFF_BASE = dt.timedelta(seconds=30)
WEBHOOK_TIMEOUT = 10.0
BATCH = 200


def region_matches(wanted: str, code: str) -> bool:
    """GB/T 2260: ``620000`` (province) covers ``62xxxx``; ``620400`` (city) covers ``6204xx``."""
    if not wanted or wanted == code:
        return True
    if wanted.endswith("0000"):
        return code.startswith(wanted[:2])
    if wanted.endswith("00"):
        return code.startswith(wanted[:4])
    return False


def matches(sub: Subscription, notice: Notice) -> bool:
    return (
        (not sub.trade_type or sub.trade_type == notice.trade_type)
        and (not sub.industry or sub.industry == notice.industry)
        and region_matches(sub.region_code, notice.region_code)
        and (not sub.keyword or sub.keyword in notice.search_text)
    )


def outbox_process(*, limit: int = BATCH) -> int:
    """Match pending outbox rows against active subscriptions; returns deliveries created."""
    created = 0
    now = clock.now()
    rows = list(
        Outbox.objects.filter(processed_at__isnull=True)
        .select_related("notice")
        .order_by("id")[:limit]
    )
    for row in rows:
        notice = row.notice
        subs = Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).filter(
            Q(trade_type="") | Q(trade_type=notice.trade_type),
            Q(industry="") | Q(industry=notice.industry),
        )
        targets = [s for s in subs if matches(s, notice)]
        with transaction.atomic():
            if (
                Outbox.objects.filter(pk=row.pk, processed_at__isnull=True).update(processed_at=now)
                != 1
            ):
                continue  # another worker took it
            Delivery.objects.bulk_create(
                [
                    Delivery(subscription=s, notice=notice, next_attempt_at=now, created_at=now)
                    for s in targets
                ],
                ignore_conflicts=True,
            )
            ledger.record(
                "disclosure:outbox:matched",
                notice,
                "system:disclosure",
                {"subscriptions": sorted(str(s.pk) for s in targets)},
            )
        created += len(targets)
    return created


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""


def notice_payload(notice: Notice) -> dict[str, object]:
    return {
        "event": "notice.published",
        "notice": {
            "id": notice.pk,
            "title": notice.title,
            "stage": notice.stage,
            "trade_type": notice.trade_type,
            "region_code": notice.region_code,
            "subject_code": notice.subject_code,
            "published_at": notice.published_at.isoformat(),
            "url": site_url() + reverse("disclosure:notice", args=[notice.pk]),
        },
    }


def _send_email(delivery: Delivery) -> Outcome:
    sub, notice = delivery.subscription, delivery.notice
    token = make_token(sub, "unsubscribe")
    unsubscribe = site_url() + reverse("disclosure:subscription_unsubscribe", args=[token])
    link = site_url() + reverse("disclosure:notice", args=[notice.pk])
    try:
        EmailMessage(
            subject=f"【{settings.GGZY_SITE_NAME}】{notice.get_stage_display()}：{notice.title}",
            body=(
                f"{notice.title}\n{notice.published_at:%Y-%m-%d %H:%M} UTC\n"
                f"{link}\n\n{notice.body_text[:2000]}\n\n"
                f"退订：{unsubscribe}\n"
            ),
            to=[sub.email],
            headers={"List-Unsubscribe": f"<{unsubscribe}>"},  # mail clients' 退订 button
        ).send()
    except OSError as exc:  # smtplib.SMTPException is an OSError
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(True)


def _send_webhook(delivery: Delivery) -> Outcome:
    sub = delivery.subscription
    body = json.dumps(notice_payload(delivery.notice), ensure_ascii=False).encode()
    ts = int(clock.now().timestamp())
    request = urllib.request.Request(  # noqa: S310 - scheme checked at subscription (http/https)
        sub.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "ggzy-disclosure/1",
            webhook_signing.TIMESTAMP_HEADER: str(ts),
            webhook_signing.SIGNATURE_HEADER: webhook_signing.sign(webhook_secret(sub), ts, body),
            "X-Ggzy-Delivery": str(delivery.pk),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
            code = int(response.status)
    except urllib.error.HTTPError as exc:
        return Outcome(False, exc.code, f"HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(200 <= code < 300, code, "" if 200 <= code < 300 else f"HTTP {code}")


def backoff(attempts: int, base: dt.timedelta = BACKOFF_BASE) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min, … after the 1st, 2nd, 3rd … failure."""
    return base * (1 << max(0, attempts - 1))


def deliveries_send(*, limit: int = BATCH, base: dt.timedelta = BACKOFF_BASE) -> tuple[int, int]:
    """Send every due delivery once; returns (sent, given up)."""
    sent = failed = 0
    now = clock.now()
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .select_related("subscription", "notice")
        .order_by("next_attempt_at", "id")[:limit]
    )
    for delivery in due:
        if delivery.subscription.status != SubscriptionStatus.ACTIVE:
            with transaction.atomic():
                if Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
                    status=DeliveryStatus.FAILED, last_error="订阅已退订"
                ):
                    ledger.record(
                        "disclosure:delivery:failed",
                        delivery,
                        "system:disclosure",
                        {
                            "notice": delivery.notice_id,
                            "subscription": str(delivery.subscription_id),
                            "channel": delivery.subscription.channel,
                            "reason": "unsubscribed",
                        },
                    )
            continue
        started = time.perf_counter()
        if delivery.subscription.channel == Channel.EMAIL:
            outcome = _send_email(delivery)
        else:
            outcome = _send_webhook(delivery)
        elapsed = int((time.perf_counter() - started) * 1000)
        attempts = delivery.attempts + 1
        at = clock.now()
        with transaction.atomic():
            DeliveryAttempt.objects.create(
                delivery=delivery,
                at=at,
                ok=outcome.ok,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=elapsed,
            )
            if outcome.ok:
                status = DeliveryStatus.SENT
            elif attempts >= MAX_ATTEMPTS:
                status = DeliveryStatus.FAILED
            else:
                status = DeliveryStatus.PENDING
            changed = Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
                status=status,
                attempts=F("attempts") + 1,
                next_attempt_at=at + backoff(attempts, base),
                sent_at=at if outcome.ok else None,
                last_error=outcome.error,
            )
            if changed and status != DeliveryStatus.PENDING:  # only the outcome that took effect
                ledger.record(
                    f"disclosure:delivery:{status}",
                    delivery,
                    "system:disclosure",
                    {
                        "notice": delivery.notice_id,
                        "subscription": str(delivery.subscription_id),
                        "channel": delivery.subscription.channel,
                        "attempts": attempts,
                    },
                )
        sent += status == DeliveryStatus.SENT
        failed += status == DeliveryStatus.FAILED
    return sent, failed

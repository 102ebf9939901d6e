"""E-mail subscriptions with double opt-in and unsubscribe, through a real SMTP server process;
webhook push with HMAC signatures and retries against a real HTTP server on loopback."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from tests.disclosure.conftest import loads, publish

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.disclosure import delivery, services, webhook_signing
from ggzy.disclosure.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
    SubscriptionStatus,
)
from ggzy.ledger.models import Entry

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://\S+/subscriptions/(confirm|unsubscribe)/(\S+?)/")


def _body(message) -> str:
    payload = message.get_payload(decode=True)
    return payload.decode(message.get_content_charset() or "utf-8")


def test_email_double_opt_in_push_and_unsubscribe(smtp, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/subscriptions/",
            {"channel": "email", "email": "Reader@Example.com", "keyword": "道路改造"},
        )
    assert r.status_code == 302
    sub = Subscription.objects.get()
    assert sub.status == SubscriptionStatus.PENDING
    assert sub.email == "reader@example.com"
    [mail] = smtp.wait(1)
    assert mail["To"] == "reader@example.com"
    kind, token = LINK.search(_body(mail)).groups()
    assert kind == "confirm"

    # pending: nothing is pushed yet
    publish(title="城区道路改造工程招标公告")
    assert delivery.outbox_process() == 0

    assert client.get(f"/subscriptions/confirm/{token}/").status_code == 200  # GET confirms nothing
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.PENDING
    assert client.post(f"/subscriptions/confirm/{token[:-2]}xx/").status_code == 400
    assert client.post(f"/subscriptions/confirm/{token}/").status_code == 200
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE
    assert Entry.objects.filter(event_type="disclosure:subscription:confirmed").count() == 1

    publish(title="白银市城区道路改造工程二标段招标公告")
    publish(title="会宁县学校食堂采购")  # no keyword match
    assert delivery.outbox_process() == 1
    assert delivery.deliveries_send() == (1, 0)
    mails = smtp.wait(2)
    push = next(m for m in mails if "二标段" in str(m["Subject"]) or "二标段" in _body(m))
    kind, unsub = LINK.search(_body(push)).groups()
    assert kind == "unsubscribe"
    header = "".join(push["List-Unsubscribe"].split())  # long headers are folded
    assert header == f"<http://127.0.0.1:8000/subscriptions/unsubscribe/{unsub}/>"
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    with pytest.raises(DomainError) as err:  # a confirm token cannot unsubscribe
        services.subscription_unsubscribe(token=token)
    assert err.value.code == ErrorCode.SUBSCRIPTION_TOKEN_INVALID

    publish(title="道路改造四标段")  # queued before the unsubscription, sent after it
    assert delivery.outbox_process() == 1
    assert client.post(f"/subscriptions/unsubscribe/{unsub}/").status_code == 200
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.CANCELLED
    delivery.deliveries_send()
    dropped = Delivery.objects.get(notice__title="道路改造四标段")
    assert dropped.status == DeliveryStatus.FAILED
    assert (
        Entry.objects.filter(
            event_type="disclosure:delivery:failed", payload__reason="unsubscribed"
        ).count()
        == 1
    )
    publish(title="道路改造三标段")
    assert delivery.outbox_process() == 0
    assert len(smtp.messages()) == 2


def test_invalid_subscriptions_are_refused(world):
    client = Client()
    r = client.post("/subscriptions/", {"channel": "email", "email": "not-an-email"})
    assert r.status_code == 400
    assert "subscription_invalid" in r.content.decode()
    r = client.post("/subscriptions/", {"channel": "webhook", "webhook_url": "http://x.test/"})
    assert r.status_code == 401
    client.force_login(world.bidder)
    r = client.post("/subscriptions/", {"channel": "webhook", "webhook_url": "ftp://x.test/"})
    assert r.status_code == 400
    r = client.post(
        "/subscriptions/", {"channel": "email", "email": "a@b.cn", "region_code": "6204"}
    )
    assert r.status_code == 400
    assert Subscription.objects.count() == 0
    assert not Entry.objects.filter(event_type__startswith="disclosure:subscription").exists()
    assert client.post("/subscriptions/unsubscribe/garbage/").status_code == 400


def test_webhook_signed_retried_with_backoff_and_logged(world, receiver):
    sub, secret = services.subscription_create(
        actor=world.bidder, channel="webhook", webhook_url=receiver.url, region_code="620400"
    )
    assert sub.status == SubscriptionStatus.ACTIVE
    assert len(secret) >= 40
    n = publish(title="白银市道路工程", region_code="620402")
    publish(title="兰州市道路工程", region_code="620102")  # another city
    assert delivery.outbox_process() == 1
    start = clock.now()
    with clock.frozen(start):
        assert delivery.deliveries_send() == (0, 0)  # the receiver answers 500 first
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.PENDING
    assert d.attempts == 1
    assert d.next_attempt_at == start + dt.timedelta(seconds=30)
    with clock.frozen(start + dt.timedelta(seconds=10)):
        assert delivery.deliveries_send() == (0, 0)  # not due yet: no request
    assert len(receiver.requests) == 1
    with clock.frozen(start + dt.timedelta(seconds=31)):
        assert delivery.deliveries_send() == (1, 0)
    assert len(receiver.requests) == 2
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT
    assert d.attempts == 2
    log = list(DeliveryAttempt.objects.filter(delivery=d).order_by("id"))
    assert [(a.ok, a.status_code) for a in log] == [(False, 500), (True, 204)]

    got = receiver.requests[-1]
    headers = {k.lower(): v for k, v in got["headers"].items()}
    ts = headers["x-ggzy-timestamp"]
    sig = headers["x-ggzy-signature"]
    now = (start + dt.timedelta(seconds=31)).timestamp()
    assert webhook_signing.verify(secret.encode(), ts, got["body"], sig, now=now)
    assert not webhook_signing.verify(secret.encode(), ts, got["body"] + b" ", sig, now=now)
    assert not webhook_signing.verify(b"wrong", ts, got["body"], sig, now=now)
    assert not webhook_signing.verify(secret.encode(), ts, got["body"], sig, now=now + 3600)
    assert loads(got["body"])["notice"]["id"] == n.pk
    assert Entry.objects.filter(event_type="disclosure:delivery:sent").count() == 1


def test_webhook_gives_up_after_max_attempts(world, receiver):
    receiver.fail_first = 100
    services.subscription_create(actor=world.bidder, channel="webhook", webhook_url=receiver.url)
    publish(title="总是失败")
    delivery.outbox_process()
    at = clock.now()
    results = []
    for _ in range(delivery.MAX_ATTEMPTS):
        with clock.frozen(at):
            results.append(delivery.deliveries_send())
        at += dt.timedelta(hours=1)
    assert results[-1] == (0, 1)
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.FAILED
    assert d.attempts == delivery.MAX_ATTEMPTS
    assert len(receiver.requests) == delivery.MAX_ATTEMPTS
    assert [delivery.backoff(i).total_seconds() for i in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_deliver_command_runs_the_worker(world, receiver):
    from django.core.management import call_command

    receiver.fail_first = 0
    services.subscription_create(actor=world.bidder, channel="webhook", webhook_url=receiver.url)
    publish(title="命令推送")
    call_command("disclosure", "deliver", verbosity=0)
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_signed_in_user_cancels_own_subscription(world):
    sub, _ = services.subscription_create(
        actor=world.bidder, channel="webhook", webhook_url="https://hooks.example.cn/ggzy"
    )
    client = Client()
    client.force_login(world.tenderer)
    assert client.post(f"/subscriptions/{sub.pk}/cancel/").status_code == 404
    client.force_login(world.bidder)
    page = client.get("/subscriptions/").content.decode()
    assert "https://hooks.example.cn/ggzy" in page
    assert client.post(f"/subscriptions/{sub.pk}/cancel/").status_code == 302
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.CANCELLED

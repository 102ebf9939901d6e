"""Notifying experts (通知): an in-app notification row, then external providers after commit.

Providers implement ``Provider``. Two work out of the box:

* ``EmailProvider`` — Django's mail API (``EMAIL_BACKEND``; tests use locmem);
* ``WebhookProvider`` — POSTs JSON to ``GGZY_EXPERTS_WEBHOOK_URL`` with an
  ``X-Ggzy-Signature: sha256=<HMAC of the body>`` header keyed by
  ``GGZY_EXPERTS_WEBHOOK_SECRET`` (a city's SMS/voice gateway can sit behind it).

``SmsGateway`` documents what a direct SMS/voice provider must implement; none is
shipped, and nothing here pretends to send a text message. Messages never contain
project details (DOMAIN §6.1: automated notice without project information).

Enabled providers: ``GGZY_EXPERTS_NOTIFIERS`` (default ``("email",)``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from ggzy import clock
from ggzy.experts.models import Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    user_id: int
    email: str
    title: str
    body: str
    url: str


class Provider(Protocol):
    name: str

    def send(self, message: Message) -> bool:
        """Deliver ``message``; True when handed over, False when not applicable."""


class SmsGateway(Protocol):
    """Interface for a licensed SMS/voice gateway (短信/语音外呼). Not implemented here: a
    deployment plugs in its operator's client. It receives the expert's phone number
    (decrypted by the caller) and a text without project details, and returns the
    gateway's message id. Confirmation by keypad/reply must come back through the
    invitation API, never be inferred from delivery."""

    name: str

    def send_text(self, phone: str, text: str) -> str: ...

    def call_voice(self, phone: str, text: str) -> str: ...


class EmailProvider:
    name = "email"

    def send(self, message: Message) -> bool:
        if not message.email:
            return False
        send_mail(
            message.title,
            f"{message.body}\n\n{message.url}",
            None,
            [message.email],
            fail_silently=False,
        )
        return True


class WebhookProvider:
    name = "webhook"

    def __init__(self, url: str, secret: str, timeout: float = 5.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("webhook URL must be http(s)")
        self.url = url
        self.secret = secret.encode()
        self.timeout = timeout

    def send(self, message: Message) -> bool:
        body = json.dumps(
            {
                "event": "experts.notification",
                "user": message.user_id,
                "title": message.title,
                "body": message.body,
                "url": message.url,
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Ggzy-Signature": f"sha256={signature}"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return 200 <= int(response.status) < 300


def providers() -> list[Provider]:
    names = getattr(settings, "GGZY_EXPERTS_NOTIFIERS", ("email",))
    out: list[Provider] = []
    for name in names:
        if name == "email":
            out.append(EmailProvider())
        elif name == "webhook":
            url = getattr(settings, "GGZY_EXPERTS_WEBHOOK_URL", "")
            if url:
                out.append(
                    WebhookProvider(url, getattr(settings, "GGZY_EXPERTS_WEBHOOK_SECRET", ""))
                )
    return out


def _deliver(message: Message) -> None:
    for provider in providers():
        try:
            provider.send(message)
        except Exception:  # a provider outage must not undo the committed draw
            log.exception("expert notification via %s failed", provider.name)


def notify(*, user: Any, title: str, body: str, url: str = "") -> Notification:
    """Create the in-app notification now; hand it to providers after the commit."""
    note = Notification.objects.create(
        user=user, title=title, body=body, url=url, created_at=clock.now()
    )
    message = Message(user.pk, getattr(user, "email", "") or "", title, body, url)
    transaction.on_commit(lambda: _deliver(message))
    return note

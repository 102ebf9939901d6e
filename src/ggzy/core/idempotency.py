"""``Idempotency-Key`` for mutating API requests (POST, PATCH, PUT, DELETE under /api/).

The first request with a key runs and its answer (any status below 500) is stored; a retry with
the same key and the same body gets the stored answer; the same key with a different body is
refused (422 ``idempotency_key_reused``); a retry while the first is still running gets 409.
Keys are scoped to the caller (session user or API token).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from ggzy import clock
from ggzy.core.models import IdempotencyRecord

_MUTATING = {"POST", "PATCH", "PUT", "DELETE"}
HEADER = "Idempotency-Key"


def _caller(request: HttpRequest) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer ggzy_"):
        return "token:" + auth.split("_")[1][:12]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous:" + str(request.META.get("REMOTE_ADDR", ""))[:60]


def _error(status: int, code: str, message: str) -> HttpResponse:
    body = json.dumps({"code": code, "message": message}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def _replay(previous: IdempotencyRecord | None, digest: str) -> HttpResponse:
    if previous is None or previous.status == 0:  # still running (or removed meanwhile)
        return _error(409, "idempotency_in_progress", "相同 Idempotency-Key 的请求正在处理")
    if previous.request_sha256 != digest:
        return _error(422, "idempotency_key_reused", "该 Idempotency-Key 已用于不同的请求内容")
    replay = HttpResponse(
        bytes(previous.body), status=previous.status, content_type=previous.content_type
    )
    replay["Idempotent-Replayed"] = "true"
    return replay


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = request.headers.get(HEADER, "").strip()
        if not key or request.method not in _MUTATING or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 200:
            return _error(400, "idempotency_key_invalid", "Idempotency-Key 过长（最多 200 字符）")
        digest = hashlib.sha256(
            f"{request.method} {request.get_full_path()}\n".encode() + request.body
        ).hexdigest()
        caller = _caller(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    caller=caller, key=key, request_sha256=digest, created_at=clock.now()
                )
        except IntegrityError:
            return _replay(IdempotencyRecord.objects.filter(caller=caller, key=key).first(), digest)
        response = self.get_response(request)
        if response.status_code >= 500 or not isinstance(response, HttpResponse):
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
        )
        return response

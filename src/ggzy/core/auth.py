"""Who is calling: a bearer API token, or the browser session (with CSRF for writes)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from ggzy.core.errors import DomainError, ErrorCode

_SAFE = {"GET", "HEAD", "OPTIONS", "TRACE"}


def _no_response(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    return HttpResponse()


def request_user(request: HttpRequest) -> Any:
    """The acting user for an API request; raises DomainError for a bad token or CSRF."""
    cached = getattr(request, "_ggzy_api_user", None)
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise DomainError(ErrorCode.TOKEN_INVALID)
        from ggzy.accounts.services import token_authenticate

        user: Any = token_authenticate(value.strip())
        request._ggzy_via_token = True  # type: ignore[attr-defined]
    else:
        user = getattr(request, "user", None) or AnonymousUser()
        if user.is_authenticated and request.method not in _SAFE:
            rejected = CsrfViewMiddleware(_no_response).process_view(request, _no_response, (), {})
            if rejected is not None:
                raise DomainError(ErrorCode.PERMISSION_DENIED, "CSRF 校验失败，请刷新页面后重试")
    request._ggzy_api_user = user  # type: ignore[attr-defined]
    return user


def via_token(request: HttpRequest) -> bool:
    return bool(getattr(request, "_ggzy_via_token", False))

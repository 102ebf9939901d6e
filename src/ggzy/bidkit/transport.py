"""HTTP transport of the upload client: one keep-alive connection, retries with backoff.

Standard library only (``http.client``). Connection errors, timeouts, 408, 429 and 5xx are
*transient* and retried with exponential backoff (honouring ``Retry-After``) — except the
codes in :data:`FINAL_CODES`, which the platform sends when retrying cannot help. Any other
error status becomes a :class:`~ggzy.bidkit.errors.ServerError` carrying the platform's
``{"code", "message"}``.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from ggzy.bidkit import TOOL_NAME, TOOL_VERSION
from ggzy.bidkit.errors import BidkitError, Code, ServerError, TemporaryError

__all__ = ["FINAL_CODES", "ApiClient", "Connection", "Progress", "Response", "RetryPolicy"]

FINAL_CODES: Final = frozenset({"bid_deadline_passed"})
_RETRY_STATUSES: Final = frozenset({408, 429})
_MAX_BODY: Final = 4 << 20

T = TypeVar("T")
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry (``sleep`` defaults to :func:`time.sleep`)."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], None] | None = None

    def wait(self, seconds: float) -> None:
        (self.sleep or _sleep)(seconds)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        backoff: float = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        if retry_after is not None:
            backoff = min(self.max_delay, max(backoff, retry_after))
        return backoff


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


class Transient(Exception):
    """A failure worth retrying."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Response:
    """One HTTP answer, its body read in full (at most 4 MiB)."""

    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError:
            return None


class Connection:
    """One persistent connection to the platform; reopened after any failure."""

    def __init__(self, base_url: str, token: str, *, timeout: float) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BidkitError(
                Code.USAGE,
                f"平台地址无效：{base_url}（应以 https:// 开头）",
                f"--url must be an http(s) URL, got {base_url!r}",
            )
        if parts.query or parts.fragment:
            raise BidkitError(Code.USAGE, "平台地址不能带查询参数", "--url must have no query")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._token = token
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self._https:
                self._conn = http.client.HTTPSConnection(
                    self._host,
                    self._port,
                    timeout=self._timeout,
                    context=ssl.create_default_context(),
                )
            else:
                self._conn = http.client.HTTPConnection(
                    self._host, self._port, timeout=self._timeout
                )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, *, body: bytes | None, headers: Mapping[str, str]
    ) -> Response:
        all_headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": f"{TOOL_NAME}/{TOOL_VERSION}",
            **headers,
        }
        conn = self._connection()
        try:
            conn.request(method, self._prefix + path, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read(_MAX_BODY + 1)
            if len(data) > _MAX_BODY:
                raise http.client.HTTPException("response body too large")
            result = Response(response.status, data, dict(response.getheaders()))
            if response.will_close:
                self.close()
        except BaseException:
            self.close()
            raise
        return result


def _error_fields(response: Response) -> tuple[str, str]:
    doc = response.json()
    if isinstance(doc, dict) and isinstance(doc.get("code"), str):
        message = doc.get("message")
        return doc["code"], message if isinstance(message, str) else ""
    return f"http_{response.status}", f"平台返回 HTTP {response.status}"


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("Retry-After") or response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class ApiClient:
    """Requests with retries; raises ``ServerError`` / ``TemporaryError``."""

    def __init__(self, http: Connection, policy: RetryPolicy, progress: Progress) -> None:
        self.http = http
        self.policy = policy
        self.progress = progress

    def once(
        self,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...],
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        try:
            response = self.http.request(method, path, body=body, headers=headers or {})
        except (OSError, http.client.HTTPException) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from exc
        if response.status in expect:
            return response
        code, message = _error_fields(response)
        retryable = response.status >= 500 or response.status in _RETRY_STATUSES
        if retryable and code not in FINAL_CODES:
            raise Transient(f"HTTP {response.status} {code}", _retry_after(response))
        raise ServerError(
            code,
            message or f"平台拒绝了请求（HTTP {response.status}）",
            f"HTTP {response.status} from {method} {path}",
            status=response.status,
        )

    def retrying(
        self, what: str, attempt_once: Callable[[], T], *, recovered: Callable[[], bool] | None
    ) -> T | None:
        """Run ``attempt_once`` until it succeeds; ``None`` if ``recovered()`` says done."""
        attempts = max(1, self.policy.attempts)
        for attempt in range(1, attempts + 1):
            try:
                return attempt_once()
            except Transient as exc:
                if attempt == attempts:
                    raise TemporaryError(
                        Code.NETWORK,
                        f"无法连接平台或平台暂时不可用（{what}），已重试 {attempts} 次。"
                        "请稍后再次运行 submit，上传将从中断处继续",
                        f"{what}: {exc}; gave up after {attempts} attempts — run submit "
                        "again to resume",
                    ) from exc
                delay = self.policy.delay(attempt, exc.retry_after)
                self.progress(f"{what}: {exc}; 第 {attempt} 次重试 retry in {delay:.1f}s")
                self.policy.wait(delay)
                if recovered is not None and recovered():
                    return None
        raise AssertionError("unreachable")  # pragma: no cover

    def call(
        self,
        what: str,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...],
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        result = self.retrying(
            what,
            lambda: self.once(method, path, expect=expect, body=body, headers=headers),
            recovered=None,
        )
        assert result is not None
        return result

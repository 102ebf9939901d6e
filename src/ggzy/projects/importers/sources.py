"""Where imported project records come from (一键获取的数据来源).

:class:`FileSource` reads JSON (a list, or ``{"records": [...]}``) or CSV (UTF-8 with or without
BOM, or GB18030 as Excel saves it); :class:`HttpSource` GETs JSON pages with the standard
library, following ``next`` links; :class:`RecordsSource` wraps records already parsed. A source
that cannot be read raises :class:`SourceError` and nothing is imported. JSON numbers with a
fraction are read as ``Decimal`` so money keeps every digit.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from http.client import HTTPException
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from ggzy.core.errors import MESSAGES, DomainError, ErrorCode

RawRecord = Mapping[str, Any]
MAX_RECORDS = 10_000
MAX_BYTES = 20 * 1024 * 1024
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,59}$")


class ProjectSource(Protocol):
    """Where project records come from. ``fetch`` raises :class:`SourceError` when the source
    as a whole cannot be read; a bad single record is the mapper's business."""

    name: str

    def fetch(self) -> Iterable[RawRecord]: ...


class SourceError(DomainError):
    """The source could not be read (unavailable, timed out, not JSON/CSV): nothing imported."""


def unavailable(detail: str) -> SourceError:
    msg = f"{MESSAGES[ErrorCode.IMPORT_SOURCE_UNAVAILABLE]}：{detail}"
    return SourceError(ErrorCode.IMPORT_SOURCE_UNAVAILABLE, msg)


def invalid(detail: str) -> SourceError:
    return SourceError(
        ErrorCode.IMPORT_SOURCE_INVALID, f"{MESSAGES[ErrorCode.IMPORT_SOURCE_INVALID]}：{detail}"
    )


def check_source_name(name: str) -> str:
    """Source names are stored as ``import:<name>`` and key the duplicate check."""
    if not _SOURCE_NAME.match(name):
        raise DomainError(
            ErrorCode.VALIDATION,
            "来源名称只能包含小写字母、数字、点、下划线和连字符（最长 60 个字符）",
            field="source",
        )
    return name


def _records_of(document: Any, where: str) -> tuple[list[Any], Any]:
    """(records, next link) of a JSON document: a list, or ``{"records": [...], "next": …}``."""
    if isinstance(document, list):
        return document, None
    if isinstance(document, dict) and isinstance(document.get("records"), list):
        return document["records"], document.get("next")
    raise invalid(f"{where} 应为记录数组或含 records 数组的对象")


def _decode(data: bytes, where: str, charset: str | None = None) -> str:
    encodings = [charset] if charset and charset.lower() not in {"utf-8", "utf8"} else []
    encodings += ["utf-8-sig", "gb18030"]  # Excel on Chinese Windows saves CSV as GB18030
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise invalid(f"{where} 不是 UTF-8 或 GB18030 编码的文本")


def parse_json(data: bytes, where: str = "文件") -> list[Any]:
    """Decimal for every JSON number with a fraction, so money keeps all its digits."""
    try:
        document = json.loads(_decode(data, where), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise invalid(f"{where} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）") from exc
    records, _next = _records_of(document, where)
    return records


def parse_csv(data: bytes, where: str = "文件") -> list[dict[str, str]]:
    """Header row of data-spec names or Chinese aliases; blank rows are skipped."""
    reader = csv.DictReader(io.StringIO(_decode(data, where), newline=""), restkey="_EXTRA")
    try:
        rows = [row for row in reader if not _blank(row)]
    except csv.Error as exc:
        raise invalid(f"{where} 不是有效的 CSV（第 {reader.line_num} 行：{exc}）") from exc
    if not reader.fieldnames:
        raise invalid(f"{where} 缺少表头行")
    return rows


def _blank(row: dict[str, Any]) -> bool:
    cells: list[Any] = [v for k, v in row.items() if k != "_EXTRA"] + list(row.get("_EXTRA") or [])
    return not any(isinstance(c, str) and c.strip() for c in cells)


class FileSource:
    """A JSON (list, or ``{"records": [...]}``) or CSV file, from disk or an upload."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        content: bytes | None = None,
        filename: str = "",
        name: str = "file",
    ) -> None:
        if (path is None) == (content is None):
            raise ValueError("give either path or content")
        self.path = Path(path) if path is not None else None
        self.content = content
        self.filename = filename or (self.path.name if self.path else "")
        self.name = check_source_name(name)

    def _read(self) -> bytes:
        if self.content is not None:
            return self.content
        assert self.path is not None
        try:
            if self.path.stat().st_size > MAX_BYTES:
                raise invalid(f"文件超过 {MAX_BYTES // 1024 // 1024} MB")
            return self.path.read_bytes()
        except OSError as exc:
            raise unavailable(f"无法读取文件 {self.filename}（{exc.strerror or exc}）") from exc

    def fetch(self) -> list[Any]:
        data = self._read()
        suffix = Path(self.filename).suffix.lower()
        if suffix not in {".json", ".csv"}:
            suffix = ".json" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in {b"[", b"{"} else ".csv"
        where = self.filename or "文件"
        return parse_json(data, where) if suffix == ".json" else parse_csv(data, where)


class RecordsSource:
    """Records already parsed (the import API's JSON body)."""

    def __init__(self, records: Iterable[Any], *, name: str = "api") -> None:
        self.records = list(records)
        self.name = check_source_name(name)

    def fetch(self) -> list[Any]:
        return self.records


class HttpSource:
    """GET a URL returning JSON records, following ``next`` links on the same origin.

    Contract (docs/projects.md): ``200`` with ``application/json``; the body is a list of
    records or ``{"records": [...], "next": "<url or null>"}``. ``Authorization: Bearer`` is sent
    when a token is given and never to another origin or through a redirect.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 15.0,
        name: str | None = None,
        retries: int = 2,
        backoff: float = 0.5,
        max_pages: int = 500,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise invalid(f"只支持 http/https 地址：{url[:200]}")
        self.url = url
        self.origin = (parts.scheme, parts.netloc.lower())
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_pages = max_pages
        self.name = check_source_name(name or parts.hostname.lower())
        self._opener = urllib.request.OpenerDirector()  # http(s) only: no ftp:// via redirects
        for handler in (
            urllib.request.ProxyHandler(),
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(),
            urllib.request.HTTPRedirectHandler(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            self._opener.add_handler(handler)

    @staticmethod
    def _shown(url: str) -> str:
        parts = urlsplit(url)  # the query may carry credentials: never echo it
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    def _get_once(self, url: str) -> tuple[bytes, str | None]:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__ and for next
            url, headers={"Accept": "application/json", "User-Agent": "ggzy-importer/1"}
        )
        if self.token:
            request.add_unredirected_header("Authorization", f"Bearer {self.token}")
        with self._opener.open(request, timeout=self.timeout) as response:
            status = response.status
            if not 200 <= status < 300:
                raise unavailable(f"{self._shown(url)} 返回 HTTP {status}")
            body: bytes = response.read(MAX_BYTES + 1)
            charset = response.headers.get_content_charset()
        if len(body) > MAX_BYTES:
            raise invalid(f"{self._shown(url)} 的响应超过 {MAX_BYTES // 1024 // 1024} MB")
        return body, charset

    def _get(self, url: str) -> tuple[bytes, str | None]:
        shown = self._shown(url)
        attempt = 0
        while True:
            try:
                return self._get_once(url)
            except urllib.error.HTTPError as exc:
                error: SourceError = unavailable(f"{shown} 返回 HTTP {exc.code}")
                exc.close()
                if exc.code < 500:
                    raise error from exc
            except TimeoutError:
                error = unavailable(f"{shown} 在 {self.timeout:g} 秒内没有响应")
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    error = unavailable(f"{shown} 在 {self.timeout:g} 秒内没有响应")
                else:
                    error = unavailable(f"无法连接 {shown}（{exc.reason}）")
            except (HTTPException, OSError) as exc:  # reset, refused, TLS …
                error = unavailable(f"{shown} 连接中断（{type(exc).__name__}）")
            if attempt >= self.retries:
                raise error
            time.sleep(self.backoff * 2**attempt)
            attempt += 1

    def fetch(self) -> Iterator[Any]:
        url: str | None = self.url
        seen: set[str] = set()
        while url:
            if url in seen or len(seen) >= self.max_pages:
                raise invalid(f"分页链接循环或超过 {self.max_pages} 页（{self._shown(url)}）")
            seen.add(url)
            body, charset = self._get(url)
            where = self._shown(url)
            try:
                document = json.loads(_decode(body, where, charset), parse_float=Decimal)
            except json.JSONDecodeError as exc:
                raise invalid(f"{where} 返回的不是有效的 JSON（第 {exc.lineno} 行）") from exc
            records, link = _records_of(document, where)
            yield from records
            url = self._next(url, link)

    def _next(self, current: str, link: Any) -> str | None:
        if link in (None, ""):
            return None
        if not isinstance(link, str):
            raise invalid(f"{self._shown(current)} 的 next 应为字符串或 null")
        target = urljoin(current, link)
        parts = urlsplit(target)
        if (parts.scheme, parts.netloc.lower()) != self.origin:
            raise invalid(f"next 链接指向其他站点（{self._shown(target)}），已停止")
        return target

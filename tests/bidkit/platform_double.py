"""A test double of the platform's chunked bid-upload API (docs/bidkit.md "Upload protocol").

A real HTTP server (stdlib ``http.server`` on 127.0.0.1) implementing the four calls the
clients use — create, put chunk, status, complete — with Bearer/CSRF authentication,
idempotency keys, per-chunk SHA-256 checks and a signed receipt. ``faults`` inject a
dropped connection (mid-body, or after the chunk was stored) or error statuses, so the
clients' retry and resume paths run against real sockets. It also serves static files
(the e2e page that imports seal.js) from the same origin.

It is not the platform: the real server's end-to-end tests live with the tendering app.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ggzy.crypto.envelope import canonical_json

API = "/api/v1/tendering"
_CREATE = re.compile(rf"^{API}/sections/([^/]+)/uploads$")
_CHUNK = re.compile(rf"^{API}/uploads/([^/]+)/chunks/(\d+)$")
_STATUS = re.compile(rf"^{API}/uploads/([^/]+)$")
_COMPLETE = re.compile(rf"^{API}/uploads/([^/]+)/complete$")


@dataclass
class Fault:
    """Misbehave once (or ``times`` times) on requests matching ``method`` and ``path``.

    ``kind``: ``"drop"`` closes the connection after reading half the body, without
    storing; ``"drop_after_store"`` stores the chunk, then closes without answering;
    ``"status"`` answers ``status`` with ``{"code": code, "message": …}``.
    """

    method: str
    path: str  # a regular expression, searched in the request path
    kind: str = "drop"
    status: int = 503
    code: str = "unavailable"
    message: str = "服务暂时不可用"
    times: int = 1


@dataclass
class Upload:
    upload_id: str
    section: str
    size: int
    sha256: str
    chunk_size: int
    chunks: dict[int, bytes] = field(default_factory=dict)
    status: str = "receiving"

    @property
    def count(self) -> int:
        return max(1, -(-self.size // self.chunk_size))


class PlatformDouble:
    """Start with ``with PlatformDouble() as platform: … platform.url …``."""

    def __init__(
        self,
        *,
        token: str = "ggzy_test_token",  # noqa: S107 - a test double's fixed token
        csrf: str | None = None,
        sections: tuple[str, ...] = ("E3100000151008459002001",),
        chunk_size: int | None = None,
        static: dict[str, tuple[bytes, str]] | None = None,
    ) -> None:
        self.token = token
        self.csrf = csrf
        self.sections = set(sections)
        self.forced_chunk_size = chunk_size
        self.static = static or {}
        self.faults: list[Fault] = []
        self.uploads: dict[str, Upload] = {}
        self.idempotent: dict[str, str] = {}
        self.receipts: dict[str, dict[str, Any]] = {}
        self.envelopes: dict[str, bytes] = {}
        self.fingerprints: dict[str, Any] = {}
        self.log: list[tuple[str, str]] = []
        self.deadline_passed = False
        self.receipt_sha256: str | None = None  # set to make the receipt lie
        self.key = Ed25519PrivateKey.generate()
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.key.public_key().public_bytes_raw()).decode()

    def __enter__(self) -> PlatformDouble:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def requests(self, method: str, pattern: str = "") -> list[str]:
        with self.lock:
            return [p for m, p in self.log if m == method and re.search(pattern, p)]

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and re.search(fault.path, path):
                    fault.times -= 1
                    return fault
        return None

    def receipt_for(self, upload: Upload) -> dict[str, Any]:
        number = len(self.receipts) + 1
        sha = self.receipt_sha256 or upload.sha256
        body = {
            "bid_id": f"BID-{number:04d}",
            "section": upload.section,
            "envelope_sha256": sha,
            "size": upload.size,
            "received_at": "2026-05-01T08:00:00Z",
            "ledger_entry_id": 1000 + number,
        }
        signature = self.key.sign(canonical_json(body))
        return {
            "bid_id": body["bid_id"],
            "received_at": body["received_at"],
            "envelope_sha256": sha,
            "ledger_entry_id": body["ledger_entry_id"],
            "receipt": body,
            "signature": {
                "algorithm": "Ed25519",
                "key_id": hashlib.sha256(self.key.public_key().public_bytes_raw()).hexdigest()[:16],
                "value": base64.b64encode(signature).decode(),
            },
        }


def _handler(platform: PlatformDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        # ------------------------------------------------------------ plumbing

        def _send(self, status: int, doc: Any = None, *, content_type: str = "") -> None:
            if isinstance(doc, bytes):
                body = doc
            else:
                body = b"" if doc is None else json.dumps(doc, ensure_ascii=False).encode()
            self.send_response(status)
            if body:
                self.send_header("Content-Type", content_type or "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, code: str, message: str) -> None:
            self._send(status, {"code": code, "message": message})

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _drop(self, *, read_half: bool) -> None:
            if read_half:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length // 2)
            self.close_connection = True

        def _authorised(self) -> bool:
            bearer = self.headers.get("Authorization", "")
            if bearer == f"Bearer {platform.token}":
                return True
            csrf = self.headers.get("X-CSRFToken")
            return platform.csrf is not None and csrf == platform.csrf

        def _route(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            with platform.lock:
                platform.log.append((method, path))
            if method == "GET" and path in platform.static:
                data, content_type = platform.static[path]
                self._send(200, data, content_type=content_type)
                return
            if not self._authorised():
                self._body()
                self._error(401, "not_authenticated", "请先登录")
                return
            fault = platform.take_fault(method, path)
            if fault is not None and fault.kind == "drop":
                self._drop(read_half=True)
                return
            if fault is not None and fault.kind == "status":
                self._body()
                self._error(fault.status, fault.code, fault.message)
                return
            for pattern, wanted, action in (
                (_CREATE, "POST", self._create),
                (_CHUNK, "PUT", self._chunk),
                (_COMPLETE, "POST", self._complete),
                (_STATUS, "GET", self._status),
            ):
                match = pattern.match(path)
                if match and method == wanted:
                    action(match, drop_after=fault is not None)
                    return
            self._body()
            self._error(404, "not_found", "未找到请求的资源")

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        # ------------------------------------------------------------ the protocol

        def _create(self, match: re.Match[str], *, drop_after: bool) -> None:
            from urllib.parse import unquote

            section = unquote(match.group(1))
            try:
                doc = json.loads(self._body())
                size, sha, chunk_size = doc["size"], doc["sha256"], doc["chunk_size"]
            except (ValueError, KeyError, TypeError):
                self._error(422, "validation_error", "提交的数据格式不正确")
                return
            if section not in platform.sections:
                self._error(404, "section_not_found", "标段不存在")
                return
            if platform.deadline_passed:
                self._error(422, "bid_deadline_passed", "投标截止时间已过，不能再递交")
                return
            key = self.headers.get("Idempotency-Key", "")
            with platform.lock:
                upload_id = platform.idempotent.get(key) if key else None
                if upload_id is None:
                    upload_id = f"up{len(platform.uploads) + 1:03d}"
                    forced = platform.forced_chunk_size
                    platform.uploads[upload_id] = Upload(
                        upload_id, section, size, sha, chunk_size if forced is None else forced
                    )
                    if key:
                        platform.idempotent[key] = upload_id
                upload = platform.uploads[upload_id]
                received = sorted(upload.chunks)
            self._send(
                201,
                {"upload_id": upload_id, "chunk_size": upload.chunk_size, "received": received},
            )

        def _upload(self, upload_id: str) -> Upload | None:
            upload = platform.uploads.get(upload_id)
            if upload is None:
                self._body()
                self._error(404, "upload_not_found", "上传不存在或已过期")
            return upload

        def _chunk(self, match: re.Match[str], *, drop_after: bool) -> None:
            upload = self._upload(match.group(1))
            if upload is None:
                return
            index = int(match.group(2))
            data = self._body()
            if hashlib.sha256(data).hexdigest() != self.headers.get("X-Chunk-SHA256"):
                self._error(422, "chunk_digest_mismatch", "分块摘要不符")
                return
            expected = min(upload.chunk_size, upload.size - index * upload.chunk_size)
            if index >= upload.count or len(data) != expected:
                self._error(422, "chunk_invalid", "分块序号或大小不正确")
                return
            with platform.lock:
                upload.chunks[index] = data
            if drop_after:
                self._drop(read_half=False)
                return
            self._send(204)

        def _status(self, match: re.Match[str], *, drop_after: bool) -> None:
            upload = self._upload(match.group(1))
            if upload is None:
                return
            with platform.lock:
                doc = {
                    "size": upload.size,
                    "chunk_size": upload.chunk_size,
                    "received": sorted(upload.chunks),
                    "status": upload.status,
                }
            self._send(200, doc)

        def _complete(self, match: re.Match[str], *, drop_after: bool) -> None:
            upload = self._upload(match.group(1))
            if upload is None:
                return
            body = self._body()
            if platform.deadline_passed:
                self._error(422, "bid_deadline_passed", "投标截止时间已过，不能再递交")
                return
            with platform.lock:
                if upload.upload_id in platform.receipts:
                    self._send(201, platform.receipts[upload.upload_id])
                    return
                if len(upload.chunks) != upload.count:
                    self._error(409, "upload_incomplete", "分块未上传完整")
                    return
                data = b"".join(upload.chunks[i] for i in range(upload.count))
                if hashlib.sha256(data).hexdigest() != upload.sha256 or len(data) != upload.size:
                    self._error(422, "envelope_digest_mismatch", "文件摘要与声明不符")
                    return
                receipt = platform.receipt_for(upload)
                platform.receipts[upload.upload_id] = receipt
                platform.envelopes[upload.upload_id] = data
                platform.fingerprints[upload.upload_id] = json.loads(body)["fingerprint"]
                upload.status = "completed"
            if drop_after:
                self._drop(read_half=False)
                return
            self._send(201, receipt)

    return Handler

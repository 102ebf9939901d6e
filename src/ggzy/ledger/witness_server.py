"""A standalone witness (见证人) for C2SP tlog-witness. Python stdlib + ggzy pure modules.

Another department or province runs it alone, without Django or the platform
database, to cosign the platform's evidence-log checkpoints (跨部门/跨省互认
cross-department / cross-province recognition)::

    python -m ggzy.ledger.witness_server keygen --name witness.gs-sjj.example/w1 --out w.skey
    python -m ggzy.ledger.witness_server init --config witness.toml --key w.skey \\
        --log-vkey 'ggzy.baiyin.example/ledger+1a2b3c4d+AX...'
    python -m ggzy.ledger.witness_server --config witness.toml

``POST <url_prefix>/add-checkpoint`` follows https://c2sp.org/tlog-witness: the
request is authenticated and decided by the pure functions of
:mod:`ggzy.ledger.witness_protocol`; the new ``(origin, size, root)`` is stored
in SQLite (WAL) inside one ``BEGIN IMMEDIATE`` transaction with a
compare-and-set on the old size and root, *then* the checkpoint is cosigned
(type 0x04, timestamped Ed25519). ``GET <url_prefix>/`` answers the witness's
vkey. Configuration format: :func:`load_config` and ``docs/witness.md``.
"""

from __future__ import annotations

import argparse
import http.server
import json
import logging
import os
import signal
import socket
import sqlite3
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from ggzy import clock
from ggzy.crypto.note import (
    ALG_COSIGNATURE_V1,
    CosignatureSigner,
    KeyFormatError,
    Verifier,
    generate_signer_key,
    is_valid_key_name,
    parse_signer_key,
    parse_verifier_key,
)
from ggzy.ledger.checkpoint import Checkpoint
from ggzy.ledger.witness_protocol import (
    MAX_REQUEST_SIZE,
    TLOG_SIZE_CONTENT_TYPE,
    Accepted,
    Rejected,
    RejectKind,
    WitnessState,
    authenticate_request,
    cosignature_response,
    decide,
    format_conflict_body,
)

__all__ = [
    "ConfigError",
    "KnownLog",
    "Reply",
    "StateStore",
    "Witness",
    "WitnessConfig",
    "WitnessHTTPServer",
    "generate_key_file",
    "init_config",
    "load_config",
    "main",
    "make_server",
    "serve",
    "write_config",
]

log = logging.getLogger("ggzy.witness")

DEFAULT_PORT = 7380
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_MAX_CONNECTIONS = 64
#: Seconds a stopping server waits for requests in flight.
SHUTDOWN_GRACE = 5.0
#: Evidence rows (refused but log-signed requests) kept per log; the first ones matter most.
MAX_EVIDENCE_PER_LOG = 1000

_TEXT = "text/plain; charset=utf-8"
_CONFIG_KEYS = {
    "key_file",
    "state_db",
    "listen",
    "url_prefix",
    "max_request_bytes",
    "request_timeout",
    "max_connections",
    "log",
}


class ConfigError(ValueError):
    """The witness configuration file or key file is missing, malformed or inconsistent."""


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class KnownLog:
    """A log this witness cosigns: its origin line and the vkeys trusted to sign it."""

    origin: str
    vkeys: tuple[str, ...]

    def verifiers(self) -> list[Verifier]:
        return [parse_verifier_key(v) for v in self.vkeys]


@dataclass(frozen=True)
class WitnessConfig:
    key_file: Path
    state_db: Path
    host: str
    port: int
    logs: tuple[KnownLog, ...]
    url_prefix: str = ""
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS


def _parse_listen(value: object) -> tuple[str, int]:
    if not isinstance(value, str):
        raise ConfigError("listen must be a string 'host:port'")
    host, sep, port_text = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(f"listen {value!r} is not 'host:port' (IPv6: '[::1]:7380')")
    return host, int(port_text)


def _number(data: dict[str, Any], key: str, default: float, *, low: float, high: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{key} must be a number between {low} and {high}")
    return float(value)


def _known_log(entry: object, index: int) -> KnownLog:
    where = f"[[log]] #{index + 1}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(entry) - {"origin", "vkey", "vkeys"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    origin = entry.get("origin")
    if not isinstance(origin, str) or not origin or any(ord(c) < 0x20 for c in origin):
        raise ConfigError(f"{where}: origin must be a non-empty single line")
    if ("vkey" in entry) == ("vkeys" in entry):
        raise ConfigError(f"{where}: give exactly one of vkey or vkeys")
    raw = [entry["vkey"]] if "vkey" in entry else entry["vkeys"]
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
        raise ConfigError(f"{where}: vkeys must be a non-empty list of strings")
    for vkey in raw:
        try:
            parse_verifier_key(vkey)
        except (KeyFormatError, ValueError) as exc:
            raise ConfigError(f"{where}: bad log vkey {vkey!r}: {exc}") from None
    return KnownLog(origin, tuple(raw))


def load_config(path: str | os.PathLike[str]) -> WitnessConfig:
    """Read a witness TOML file; relative paths are relative to the file's directory.

    ::

        key_file = "witness.skey"            # PRIVATE+KEY+<name>+<id>+<base64>, type 0x04
        state_db = "witness-state.sqlite3"   # created on first start
        listen = "127.0.0.1:7380"            # port 0 picks a free port
        url_prefix = ""                      # optional, e.g. "/witness"
        max_request_bytes = 65536            # optional, at most 1 MiB
        request_timeout = 10                 # optional, seconds per request
        max_connections = 64                 # optional

        [[log]]
        origin = "ggzy.baiyin.example/ledger"
        vkey = "ggzy.baiyin.example/ledger+1a2b3c4d+AX..."   # or vkeys = ["...", "..."]
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: {exc}") from None
    unknown = set(data) - _CONFIG_KEYS
    if unknown:
        raise ConfigError(f"{file}: unknown keys {sorted(unknown)}")
    base = file.resolve().parent
    paths: dict[str, Path] = {}
    for key in ("key_file", "state_db"):
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{file}: {key} must be a file path")
        paths[key] = base / value
    host, port = _parse_listen(data.get("listen", f"127.0.0.1:{DEFAULT_PORT}"))
    prefix = data.get("url_prefix", "")
    if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
        raise ConfigError(f"{file}: url_prefix must be empty or start with '/'")
    entries = data.get("log", [])
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{file}: list at least one [[log]]")
    logs = tuple(_known_log(entry, i) for i, entry in enumerate(entries))
    if len({known.origin for known in logs}) != len(logs):
        raise ConfigError(f"{file}: a log origin is listed twice")
    return WitnessConfig(
        key_file=paths["key_file"],
        state_db=paths["state_db"],
        host=host,
        port=port,
        logs=logs,
        url_prefix=prefix.rstrip("/"),
        max_request_bytes=int(
            _number(
                data,
                "max_request_bytes",
                DEFAULT_MAX_REQUEST_BYTES,
                low=1024,
                high=MAX_REQUEST_SIZE,
            )
        ),
        request_timeout=_number(
            data, "request_timeout", DEFAULT_REQUEST_TIMEOUT, low=0.1, high=600
        ),
        max_connections=int(
            _number(data, "max_connections", DEFAULT_MAX_CONNECTIONS, low=1, high=10_000)
        ),
    )


def load_signer(key_file: Path) -> CosignatureSigner:
    """The witness's own cosigner key (type 0x04) from its key file."""
    try:
        text = key_file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read witness key {key_file}: {exc}") from None
    try:
        signer = parse_signer_key(text)
    except (KeyFormatError, ValueError) as exc:
        raise ConfigError(f"witness key {key_file}: {exc}") from None
    if not isinstance(signer, CosignatureSigner):
        raise ConfigError(f"witness key {key_file} is not a cosignature key (type 0x04)")
    if os.name == "posix" and key_file.stat().st_mode & 0o077:
        log.warning("witness key %s is readable by other users; chmod 600 it", key_file)
    return signer


def generate_key_file(name: str, out: str | os.PathLike[str]) -> str:
    """Write a new witness key (type 0x04) to ``out`` (mode 0600, never overwritten).

    Returns the vkey to hand to the log operator for its witness policy.
    """
    if not is_valid_key_name(name):
        raise ConfigError(f"invalid key name {name!r} (no spaces, no '+')")
    skey, vkey = generate_signer_key(name, algorithm=ALG_COSIGNATURE_V1)
    path = Path(out)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(skey + "\n")
    return vkey


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def write_config(
    path: str | os.PathLike[str],
    *,
    key_file: str,
    state_db: str = "witness-state.sqlite3",
    listen: str = f"127.0.0.1:{DEFAULT_PORT}",
    logs: Sequence[KnownLog] = (),
) -> None:
    """Write a witness config file (never overwriting one); add logs later by editing it."""
    _parse_listen(listen)
    lines = [
        "# ggzy witness (见证人) — see docs/witness.md",
        f"key_file = {_toml_string(key_file)}",
        f"state_db = {_toml_string(state_db)}",
        f"listen = {_toml_string(listen)}",
        f"max_request_bytes = {DEFAULT_MAX_REQUEST_BYTES}",
        f"request_timeout = {int(DEFAULT_REQUEST_TIMEOUT)}",
        "",
    ]
    for known in logs:
        lines += ["[[log]]", f"origin = {_toml_string(known.origin)}"]
        lines.append("vkeys = [" + ", ".join(_toml_string(v) for v in known.vkeys) + "]")
        lines.append("")
    target = Path(path)
    try:
        with target.open("x", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
    except FileExistsError:
        raise ConfigError(f"{target} exists; refusing to overwrite") from None
    except OSError as exc:
        raise ConfigError(f"cannot create {target}: {exc.strerror}") from None


# --------------------------------------------------------------------------- state (SQLite)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS witness_state (
    origin TEXT PRIMARY KEY NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
    checkpoint BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS witness_state_no_rollback
BEFORE UPDATE OF size ON witness_state WHEN NEW.size < OLD.size
BEGIN SELECT RAISE(ABORT, 'witness state never rolls back'); END;
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    received_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_origin ON evidence (origin);
"""


class StateStore:
    """The latest cosigned checkpoint per log, in SQLite (WAL, synchronous=FULL).

    Each call opens its own connection, so request threads share nothing;
    :meth:`transaction` takes SQLite's write lock up front (``BEGIN IMMEDIATE``).
    """

    def __init__(self, path: Path, *, busy_timeout: float = 5.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        conn.execute("PRAGMA synchronous = FULL")  # a cosignature is never ahead of the disk
        return conn

    def initialise(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as conn:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"state database {self.path}: {exc}") from None
        if str(mode).lower() != "wal":
            raise ConfigError(f"state database {self.path} cannot use WAL mode")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def read(conn: sqlite3.Connection, origin: str) -> WitnessState | None:
        row = conn.execute(
            "SELECT size, root_hash FROM witness_state WHERE origin = ?", (origin,)
        ).fetchone()
        return None if row is None else WitnessState(origin, int(row[0]), bytes(row[1]))

    @staticmethod
    def compare_and_set(
        conn: sqlite3.Connection,
        expected: WitnessState | None,
        new: WitnessState,
        checkpoint_note: bytes,
    ) -> bool:
        """Store ``new`` only if the row still equals ``expected`` (None: no row yet)."""
        now = clock.now().isoformat()
        if expected is None:
            cur = conn.execute(
                "INSERT INTO witness_state (origin, size, root_hash, checkpoint, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO NOTHING",
                (new.origin, new.size, new.root_hash, checkpoint_note, now),
            )
        else:
            cur = conn.execute(
                "UPDATE witness_state SET size = ?, root_hash = ?, checkpoint = ?, updated_at = ? "
                "WHERE origin = ? AND size = ? AND root_hash = ?",
                (
                    new.size,
                    new.root_hash,
                    checkpoint_note,
                    now,
                    expected.origin,
                    expected.size,
                    expected.root_hash,
                ),
            )
        return cur.rowcount == 1

    @staticmethod
    def record_evidence(
        conn: sqlite3.Connection, origin: str, rejected: Rejected, request: bytes
    ) -> None:
        """Keep a log-signed request the witness refused: it may prove a fork or a bad log."""
        (count,) = conn.execute(
            "SELECT count(*) FROM evidence WHERE origin = ?", (origin,)
        ).fetchone()
        if count >= MAX_EVIDENCE_PER_LOG:
            return
        conn.execute(
            "INSERT INTO evidence (origin, received_at, status, reason, request) "
            "VALUES (?, ?, ?, ?, ?)",
            (origin, clock.now().isoformat(), rejected.status, rejected.reason, request),
        )


# --------------------------------------------------------------------------- the witness


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


def _text(status: int, message: str) -> Reply:
    return Reply(status, _TEXT, message.encode("utf-8") + b"\n")


def _is_evidence(checkpoint: Checkpoint, state: WitnessState | None, rejected: Rejected) -> bool:
    """A log-signed checkpoint that may contradict what we cosigned: a 422, or the stored size
    with another root (a fork, 分叉), whatever old size the request claimed."""
    if rejected.kind is RejectKind.BAD_PROOF:
        return True
    return (
        state is not None
        and checkpoint.size == state.size
        and checkpoint.root_hash != state.root_hash
    )


class Witness:
    """The add-checkpoint logic over a store and a key, independent of HTTP."""

    def __init__(self, config: WitnessConfig, signer: CosignatureSigner, store: StateStore) -> None:
        self.config = config
        self.signer = signer
        self.store = store
        self.known_logs = {known.origin: known.verifiers() for known in config.logs}

    @classmethod
    def open(cls, config: WitnessConfig) -> Witness:
        store = StateStore(config.state_db)
        store.initialise()
        return cls(config, load_signer(config.key_file), store)

    @property
    def vkey(self) -> str:
        return self.signer.verifier_key()

    def add_checkpoint(self, body: bytes) -> Reply:
        authenticated = authenticate_request(body, self.known_logs)
        if isinstance(authenticated, Rejected):
            return self._refuse(authenticated)
        origin = authenticated.checkpoint.origin
        with self.store.transaction() as conn:
            state = self.store.read(conn, origin)
            outcome = decide(authenticated, state)
            if isinstance(outcome, Accepted) and not self.store.compare_and_set(
                conn, state, outcome.new_state, authenticated.request.checkpoint_note
            ):
                # Unreachable while BEGIN IMMEDIATE holds the write lock; kept as the guard.
                latest = self.store.read(conn, origin)
                size = 0 if latest is None else latest.size
                outcome = Rejected(
                    RejectKind.CONFLICT,
                    "state changed concurrently",
                    format_conflict_body(size),
                    TLOG_SIZE_CONTENT_TYPE,
                )
            if isinstance(outcome, Rejected) and _is_evidence(
                authenticated.checkpoint, state, outcome
            ):
                self.store.record_evidence(conn, origin, outcome, body)
                log.warning("log %r: %s (request kept as evidence)", origin, outcome.reason)
        if isinstance(outcome, Rejected):
            return self._refuse(outcome)
        log.info("cosigned %r at size %d", origin, outcome.checkpoint.size)
        return Reply(200, _TEXT, cosignature_response(outcome.checkpoint_text, [self.signer]))

    @staticmethod
    def _refuse(rejected: Rejected) -> Reply:
        if rejected.content_type is not None:
            return Reply(rejected.status, rejected.content_type, rejected.body)
        return _text(rejected.status, rejected.reason)


# --------------------------------------------------------------------------- HTTP


class _BodyError(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


class _Handler(http.server.BaseHTTPRequestHandler):
    server: WitnessHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as tlog-witness recommends
    server_version = "ggzy-witness/1"

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self._timeout)  # per socket operation, idle keep-alive too

    @property
    def _timeout(self) -> float:
        return self.server.witness.config.request_timeout

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _send(self, reply: Reply, *, close: bool = False) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        if close or self.server.stopping.is_set():
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(reply.body)

    def do_GET(self) -> None:
        prefix = self.server.witness.config.url_prefix
        if self.path.split("?", 1)[0] not in {prefix + "/", prefix or "/"}:
            self._send(_text(404, "not found"))
            return
        self._send(Reply(200, _TEXT, self.server.witness.vkey.encode("ascii") + b"\n"))

    def do_POST(self) -> None:
        with self.server.in_flight():
            if self.path != self.server.witness.config.url_prefix + "/add-checkpoint":
                self._send(_text(404, "not found"), close=True)
                return
            try:
                body = self._read_body()
            except _BodyError as exc:
                self._send(exc.reply, close=True)
                return
            try:
                reply = self.server.witness.add_checkpoint(body)
            except sqlite3.OperationalError:
                log.exception("state database busy or unavailable")
                reply = _text(503, "witness state is busy; retry")
            except Exception:
                log.exception("add-checkpoint failed")
                reply = _text(500, "internal error")
            self._send(reply)

    def _read_body(self) -> bytes:
        limit = self.server.witness.config.max_request_bytes
        if self.headers.get("Transfer-Encoding") is not None:
            raise _BodyError(_text(411, "send the body with Content-Length, not chunked"))
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise _BodyError(_text(411, "Content-Length required"))
        if not length_text.isdigit() or len(length_text) > 19:
            raise _BodyError(_text(400, "bad Content-Length"))
        length = int(length_text)
        if length > limit:
            raise _BodyError(_text(413, f"request body is larger than {limit} bytes"))
        deadline = time.monotonic() + self._timeout
        chunks: list[bytes] = []
        remaining = length
        while remaining:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _BodyError(_text(408, "request body too slow"))
            self.connection.settimeout(left)
            try:
                chunk = self.rfile.read1(remaining)
            except TimeoutError:
                raise _BodyError(_text(408, "request body too slow")) from None
            if not chunk:
                raise _BodyError(_text(400, "request body shorter than Content-Length"))
            chunks.append(chunk)
            remaining -= len(chunk)
        self.connection.settimeout(self._timeout)
        return b"".join(chunks)


class WitnessHTTPServer(http.server.ThreadingHTTPServer):
    """One thread per connection, at most ``max_connections`` at once (others get 503)."""

    daemon_threads = True  # idle keep-alive connections do not hold up shutdown
    allow_reuse_address = True

    def __init__(self, witness: Witness) -> None:
        config = witness.config
        self.witness = witness
        self.stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(config.max_connections)
        self._busy = 0
        self._idle = threading.Condition()
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{self.witness.config.url_prefix}/"

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with suppress(OSError):
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\n"
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        with self._idle:
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait until no add-checkpoint request is being handled; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


def make_server(config: WitnessConfig) -> WitnessHTTPServer:
    """Open the state database, load the key and bind the listening socket."""
    witness = Witness.open(config)
    try:
        return WitnessHTTPServer(witness)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None


def serve(config: WitnessConfig, *, announce: Callable[[str], None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then finish requests in flight and close."""
    server = make_server(config)

    def stop(signum: int, frame: FrameType | None) -> None:
        server.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, stop)
    say = announce or (lambda line: print(line, flush=True))
    say(f"witness vkey {server.witness.vkey}")
    say(f"listening on {server.url}")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.stopping.set()
        if not server.drain(SHUTDOWN_GRACE):
            log.warning("stopping with requests still in flight")
        server.server_close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        say("stopped")


# --------------------------------------------------------------------------- command line


def init_config(
    config: str | os.PathLike[str],
    *,
    name: str | None,
    key: str | None = None,
    listen: str = f"127.0.0.1:{DEFAULT_PORT}",
    log_vkeys: Sequence[str] = (),
) -> str:
    """Write a sample config, generating the key file first when it does not exist.

    Each log's origin is taken from its vkey's name (a log key's name SHOULD be
    its origin); edit the file when it differs. Returns what was done, for the user.
    """
    config_path = Path(config)
    logs = []
    for vkey in log_vkeys:
        try:
            verifier = parse_verifier_key(vkey)
        except (KeyFormatError, ValueError) as exc:
            raise ConfigError(f"bad log vkey {vkey!r}: {exc}") from None
        logs.append(KnownLog(verifier.name, (vkey,)))
    key_path = Path(key) if key else config_path.with_suffix(".skey")
    done = []
    if not key_path.exists():
        if not name:
            raise ConfigError(f"{key_path} does not exist; give a key name to generate it")
        done.append(f"witness vkey {generate_key_file(name, key_path)}")
        done.append(f"wrote {key_path}")
    rel_key = os.path.relpath(key_path.resolve(), config_path.resolve().parent)
    write_config(config_path, key_file=rel_key, listen=listen, logs=logs)
    done.append(f"wrote {config_path}")
    return "\n".join(done)


def build_parser(prog: str = "python -m ggzy.ledger.witness_server") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="C2SP tlog-witness (见证人) server")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The serve / keygen / init sub-commands (shared with ``ggzy witness``)."""
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("serve", help="serve POST /add-checkpoint")
    run.add_argument("--config", required=True)
    keygen = sub.add_parser("keygen", help="write a new witness key and print its vkey")
    keygen.add_argument("--name", required=True, help="key name, e.g. witness.gs-sjj.example/w1")
    keygen.add_argument("--out", required=True)
    init = sub.add_parser("init", help="write a sample config (and a key if missing)")
    init.add_argument("--config", required=True)
    init.add_argument("--name", help="key name when a new key must be generated")
    init.add_argument("--key", help="witness key file (default: <config>.skey)")
    init.add_argument("--listen", default=f"127.0.0.1:{DEFAULT_PORT}")
    init.add_argument("--log-vkey", action="append", default=[], help="a log to cosign")


def run(args: argparse.Namespace, say: Callable[[str], None] = print) -> None:
    """Carry out a parsed sub-command; raises ConfigError."""
    if args.action == "serve":
        serve(load_config(args.config), announce=say)
    elif args.action == "keygen":
        say(generate_key_file(args.name, args.out))
    else:
        say(
            init_config(
                args.config,
                name=args.name,
                key=args.key,
                listen=args.listen,
                log_vkeys=args.log_vkey,
            )
        )


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in {"-h", "--help"}):
        args_list.insert(0, "serve")  # `--config FILE` alone means serve
    args = build_parser().parse_args(args_list)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        run(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

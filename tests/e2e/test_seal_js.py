"""seal.js in a real Chromium: envelopes it seals open in Python and vice versa.

The page is served over HTTP from 127.0.0.1 (ES modules and WebCrypto X25519/Ed25519 need
a secure context, which file:// and about:blank are not) by the protocol test double of
tests/bidkit, which also answers the upload API for ``uploadEnvelope``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.bidkit.platform_double import Fault, PlatformDouble

from ggzy.bidkit.cli import main
from ggzy.bidkit.fingerprint import hash_value
from ggzy.bidkit.keys import BidderKeys, generate, load_keys
from ggzy.bidkit.release import verify_release
from ggzy.crypto.envelope import (
    open_envelope,
    read_header,
    seal,
    unwrap_content_key,
    verify_header_signature,
)
from ggzy.crypto.suites import INTL, PrivateKey

pytestmark = pytest.mark.e2e

# Playwright's sync API runs an event loop in this thread (as in tests/e2e/conftest.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(__file__).resolve().parents[2]
SEAL_JS = ROOT / "src/ggzy/web/static/ggzy/seal.js"
DOC = ROOT / "docs/envelope.md"
SECTION = "白银市-2026-JS/标段1"
BIDDER = "91110000600037341L"
CSRF = "csrf-token-for-the-test"

PAGE = b"""<!doctype html>
<meta charset="utf-8"><title>seal.js test</title>
<script type="module">
import * as seal from "/static/ggzy/seal.js";
window.seal = seal;
window.sealReady = true;
</script>
"""

if not Path("/usr/bin/chromium").exists():  # pragma: no cover - depends on the machine
    pytest.skip(
        "/usr/bin/chromium is missing (Debian package chromium); seal.js is not tested",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def platform() -> Iterator[PlatformDouble]:
    static = {
        "/": (PAGE, "text/html; charset=utf-8"),
        "/static/ggzy/seal.js": (SEAL_JS.read_bytes(), "text/javascript; charset=utf-8"),
    }
    with PlatformDouble(csrf=CSRF, sections=(SECTION,), static=static) as double:
        yield double


@pytest.fixture(scope="module")
def page(browser: Any, platform: PlatformDouble) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(platform.url + "/")
    tab.wait_for_function("window.sealReady === true", timeout=10_000)
    assert tab.evaluate("() => window.seal.isSupported()") is True
    yield tab
    context.close()
    assert errors == []


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _js_keys(keys: BidderKeys) -> dict[str, Any]:
    return keys.to_json()


# ----------------------------------------------------------------------------- primitives


def test_incremental_sha256_matches_webcrypto_and_hashlib(page: Any) -> None:
    lengths = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4097, 100_003]
    result = page.evaluate(
        """async (lengths) => {
          const { Sha256, hex } = window.seal;
          const out = [];
          for (const n of lengths) {
            const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);
            const h = new Sha256();
            for (let at = 0, step = 1; at < n; at += step, step = (step * 7 + 3) % 97 + 1) {
              h.update(data.subarray(at, Math.min(n, at + step)));
            }
            const web = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
            out.push([hex(h.digest()), web]);
          }
          return out;
        }""",
        lengths,
    )
    for n, (incremental, web) in zip(lengths, result, strict=True):
        expected = hashlib.sha256(bytes((i * 31 + 7) & 255 for i in range(n))).hexdigest()
        assert incremental == web == expected, n


def test_fingerprint_hash_matches_python(page: Any) -> None:
    got = page.evaluate("() => window.seal.fingerprintHash('os', '  Mozilla/5.0   (X11)  ')")
    assert got == hash_value("os", "Mozilla/5.0 (X11)")
    record = page.evaluate("() => window.seal.browserFingerprint()")
    assert record["format"] == "ggzy-bid-fingerprint"
    assert record["unavailable"] == [
        "cpu_id", "disk_serial", "machine_id", "memory_serial", "mac_address", "hostname",
        "local_ip",
    ]  # fmt: skip
    assert record["fields"]["tool_version"] == [hash_value("tool_version", "ggzy-seal.js/0.1.0")]


# ----------------------------------------------------------------------------- keys


def test_keys_move_between_the_browser_and_the_cli(page: Any, tmp_path: Path) -> None:
    exported = page.evaluate(
        """async () => {
          const keys = await window.seal.generateBidderKeys();
          return { doc: await window.seal.exportKeys(keys),
                   signing: keys.signingPublicKey, encryption: keys.encryptionPublicKey };
        }"""
    )
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(exported["doc"]))
    loaded = load_keys(path)
    assert loaded.signing_public.to_text() == exported["signing"]
    assert loaded.encryption_public.to_text() == exported["encryption"]

    python_keys = generate(INTL)
    texts = page.evaluate(
        """async (doc) => {
          const keys = await window.seal.importKeys(JSON.stringify(doc));
          return [keys.signingPublicKey, keys.encryptionPublicKey];
        }""",
        _js_keys(python_keys),
    )
    assert texts == [
        python_keys.signing_public.to_text(),
        python_keys.encryption_public.to_text(),
    ]
    wrong = _js_keys(python_keys) | {"signing_public_key": generate(INTL).signing_public.to_text()}
    code = page.evaluate(
        "async (doc) => { try { await window.seal.importKeys(doc); return 'accepted'; }"
        " catch (e) { return e.code; } }",
        wrong,
    )
    assert code == "key_malformed"


# ----------------------------------------------------------------------------- seal in JS


_SEAL = """async ([plain, doc, opening, section, bidder, chunkSize]) => {
  const s = window.seal;
  const keys = await s.importKeys(doc);
  const progress = [];
  const r = await s.sealFile(new Blob([s.fromBase64(plain)]), {
    sectionRef: section, bidderRef: bidder, openingPublicKey: opening, bidderKeys: keys,
    chunkSize, onProgress: (p) => progress.push(p.phase),
  });
  const bytes = new Uint8Array(await r.envelope.arrayBuffer());
  return { envelope: s.toBase64(bytes), header: r.header, sha: r.envelopeSha256,
           commitment: r.commitment, length: r.envelopeLength, phases: [...new Set(progress)] };
}"""


def _seal_in_js(
    page: Any, plain: bytes, keys: BidderKeys, opening: PrivateKey, chunk_size: int
) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        _SEAL,
        [_b64(plain), _js_keys(keys), opening.public_key.to_text(), SECTION, BIDDER, chunk_size],
    )
    return result


def test_js_envelope_opens_in_python(page: Any, tmp_path: Path) -> None:
    keys, opening = generate(INTL), INTL.generate_wrapping_key()
    plain = os.urandom(3 * 65536 + 123)
    js = _seal_in_js(page, plain, keys, opening, chunk_size=65536)
    data = base64.b64decode(js["envelope"])

    assert js["sha"] == hashlib.sha256(data).hexdigest()
    assert js["commitment"] == hashlib.sha256(plain).hexdigest()
    assert js["phases"] == ["hash", "encrypt"]
    header = read_header(io.BytesIO(data))  # strict: canonical header bytes, exact members
    assert js["length"] == len(data) == 13 + len(header.header_bytes) + len(plain) + 4 * 16
    assert json.loads(header.header_bytes) == js["header"]
    assert (header.tender_ref, header.bidder_ref, header.chunk_count) == (SECTION, BIDDER, 4)
    verify_header_signature(header, keys.signing_public)
    for private in (opening, keys.encryption):
        out = io.BytesIO()
        result = open_envelope(io.BytesIO(data), out, unwrap_content_key(header, private))
        assert result.consistent
        assert out.getvalue() == plain

    # The command-line tool verifies it with the browser's key file (投标文件一致性判断).
    envelope, key_file = tmp_path / "js.ggzyenv", tmp_path / "keys.json"
    envelope.write_bytes(data)
    key_file.write_text(json.dumps(keys.to_json()))
    package = tmp_path / "bid.zip"
    package.write_bytes(plain)
    assert main(["verify", "--envelope", str(envelope), "--keys", str(key_file),
                 "--package", str(package), "--section", SECTION]) == 0  # fmt: skip


@pytest.mark.parametrize("size", [0, 1, 16, 17, 32])
def test_js_edge_sizes_open_in_python(page: Any, size: int) -> None:
    keys, opening = generate(INTL), INTL.generate_wrapping_key()
    plain = os.urandom(size)
    data = base64.b64decode(_seal_in_js(page, plain, keys, opening, chunk_size=16)["envelope"])
    header = read_header(io.BytesIO(data))
    out = io.BytesIO()
    assert open_envelope(io.BytesIO(data), out, unwrap_content_key(header, opening)).consistent
    assert out.getvalue() == plain
    assert header.chunk_count == max(1, -(-size // 16))


def test_js_refuses_bad_parameters(page: Any) -> None:
    keys = generate(INTL)
    codes = page.evaluate(
        """async ([doc, ownPublic]) => {
          const s = window.seal;
          const keys = await s.importKeys(doc);
          const blob = new Blob([new Uint8Array(10)]);
          const base = { sectionRef: "S1", bidderRef: "B1", bidderKeys: keys,
                         openingPublicKey: "x25519:" + "A".repeat(43) + "=" };
          const attempts = [
            { ...base, sectionRef: "" },
            { ...base, bidderRef: "a\\u0007" },
            { ...base, sectionRef: "e\\u0301" },
            { ...base, chunkSize: 8 },
            { ...base, openingPublicKey: ownPublic },
            { ...base, openingPublicKey: "sm2:AAAA" },
          ];
          const out = [];
          for (const a of attempts) {
            try { await s.sealFile(blob, a); out.push("sealed"); }
            catch (e) { out.push(e.code ?? String(e)); }
          }
          return out;
        }""",
        [_js_keys(keys), keys.encryption_public.to_text()],
    )
    assert codes == [
        "invalid_parameter",
        "invalid_parameter",
        "invalid_parameter",
        "invalid_parameter",
        "invalid_parameter",
        "key_unsupported",
    ]


# ----------------------------------------------------------------- Python seals, JS opens


def _python_envelope(keys: BidderKeys, opening: PrivateKey, plain: bytes, ck: bytes) -> bytes:
    out = io.BytesIO()
    seal(
        io.BytesIO(plain),
        out,
        suite=INTL,
        opening_public_key=opening.public_key,
        bidder_public_key=keys.encryption_public,
        bidder_signing_key=keys.signing,
        tender_ref=SECTION,
        bidder_ref=BIDDER,
        content_key=ck,
        chunk_size=1000,
    )
    return out.getvalue()


def test_python_envelope_releases_and_opens_in_js(page: Any) -> None:
    keys, opening = generate(INTL), INTL.generate_wrapping_key()
    plain, ck = os.urandom(5555), bytes(range(32))
    data = _python_envelope(keys, opening, plain, ck)
    js = page.evaluate(
        """async ([env, doc, encryptionText]) => {
          const s = window.seal;
          const blob = new Blob([s.fromBase64(env)]);
          const keys = await s.importKeys(doc);
          const { header } = await s.readHeader(blob);
          const ck = await s.releaseKey(header, keys);
          const ck2 = await s.releaseKey(blob, encryptionText);
          const opened = await s.openEnvelope(blob, ck);
          const plain = new Uint8Array(await opened.plaintext.arrayBuffer());
          const releasedAt = new Date(Date.UTC(2026, 4, 1, 9, 30));
          const release = await s.buildKeyRelease(blob, keys, { releasedAt });
          return { ck: s.hex(ck), ck2: s.hex(ck2), plain: s.toBase64(plain),
                   consistent: opened.consistent, digest: opened.digest, release };
        }""",
        [_b64(data), _js_keys(keys), keys.encryption.to_text()],
    )
    assert js["ck"] == js["ck2"] == ck.hex()
    assert base64.b64decode(js["plain"]) == plain
    assert js["consistent"] is True
    assert js["digest"] == hashlib.sha256(plain).hexdigest()

    header = read_header(io.BytesIO(data))
    release = verify_release(
        js["release"],
        verify_key=keys.signing_public,
        header=header,
        envelope_sha256=hashlib.sha256(data).hexdigest(),
    )
    assert release.content_key == ck
    assert js["release"]["statement"]["released_at"] == "2026-05-01T09:30:00Z"


def test_js_detects_wrong_keys_and_tampering(page: Any) -> None:
    keys, opening = generate(INTL), INTL.generate_wrapping_key()
    data = bytearray(_python_envelope(keys, opening, os.urandom(3000), os.urandom(32)))
    tampered = bytearray(data)
    tampered[-20] ^= 1
    codes = page.evaluate(
        """async ([env, bad, doc, otherText]) => {
          const s = window.seal;
          const attempt = async (f) => {
            try { await f(); return "ok"; } catch (e) { return e.code ?? String(e); }
          };
          const blob = new Blob([s.fromBase64(env)]);
          const keys = await s.importKeys(doc);
          const ck = await s.releaseKey(blob, keys);
          const bytes = s.fromBase64(env);
          const short = new Blob([bytes.subarray(0, bytes.length - 1)]);
          return [
            await attempt(() => s.releaseKey(blob, otherText)),
            await attempt(() => s.openEnvelope(new Blob([s.fromBase64(bad)]), ck)),
            await attempt(() => s.openEnvelope(blob, new Uint8Array(32))),
            await attempt(() => s.openEnvelope(short, ck)),
            await attempt(() => s.openEnvelope(new Blob([bytes, new Uint8Array(1)]), ck)),
            await attempt(() => s.readHeader(new Blob([new TextEncoder().encode("GGZY-ENV")]))),
            await attempt(() => s.readHeader(new Blob([new Uint8Array(20)]))),
          ];
        }""",
        [
            _b64(bytes(data)),
            _b64(bytes(tampered)),
            _js_keys(keys),
            generate(INTL).encryption.to_text(),
        ],
    )
    assert codes == [
        "wrong_key",
        "envelope_tampered",
        "wrong_key",
        "envelope_truncated",
        "envelope_malformed",
        "envelope_truncated",
        "envelope_malformed",
    ]


def test_documented_example_vector(page: Any) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- example-vectors -->\n```json\n(.*?)```", text, re.S)
    assert block is not None
    ex = json.loads(block.group(1))["intl"]
    js = page.evaluate(
        """async ([envHex, bidderKey]) => {
          const s = window.seal;
          const blob = new Blob([s.fromHex(envHex)]);
          const ck = await s.releaseKey(blob, bidderKey);
          const opened = await s.openEnvelope(blob, ck);
          const sha = await s.sha256Blob(blob);
          return { ck: s.hex(ck), plain: await opened.plaintext.text(), sha };
        }""",
        ["".join(ex["envelope_hex"]), ex["bidder_key"]],
    )
    assert js == {
        "ck": ex["content_key"],
        "plain": ex["plaintext_utf8"],
        "sha": ex["envelope_digest"],
    }


# ----------------------------------------------------------------------------- streaming size


def test_large_blob_is_sealed_slice_by_slice(page: Any) -> None:
    """24 MiB generated in the page, sealed and reopened there; Python checks the digests."""
    keys, opening = generate(INTL), INTL.generate_wrapping_key()
    js = page.evaluate(
        """async ([doc, opening]) => {
          const s = window.seal;
          const keys = await s.importKeys(doc);
          const piece = new Uint8Array(1 << 20);
          const parts = [];
          for (let i = 0; i < 24; i++) {
            piece.fill(i);
            piece[0] = 255 - i;
            parts.push(new Blob([piece]));
          }
          const file = new Blob(parts);
          const t0 = performance.now();
          const r = await s.sealFile(file, {
            sectionRef: "BIG", bidderRef: "B", openingPublicKey: opening, bidderKeys: keys });
          const sealMs = performance.now() - t0;
          const check = await s.sha256Blob(r.envelope);
          const ck = await s.releaseKey(r.header, keys);
          const opened = await s.openEnvelope(r.envelope, ck);
          return { sealMs, sha: r.envelopeSha256, check, size: r.envelope.size,
                   commitment: r.commitment, consistent: opened.consistent };
        }""",
        [_js_keys(keys), opening.public_key.to_text()],
    )
    expected = hashlib.sha256()
    for i in range(24):
        expected.update(bytes([255 - i]) + bytes([i]) * ((1 << 20) - 1))
    assert js["commitment"] == expected.hexdigest()
    assert js["sha"] == js["check"]
    assert js["consistent"] is True
    assert js["size"] > 24 << 20
    print(f"seal.js sealed 24 MiB in {js['sealMs']:.0f} ms")  # shown with pytest -s


# ----------------------------------------------------------------------------- upload


def test_upload_envelope_resumes_after_a_dropped_connection(
    page: Any, platform: PlatformDouble
) -> None:
    keys, opening = generate(INTL), INTL.generate_wrapping_key()
    platform.faults = [
        Fault("PUT", r"/chunks/1$", kind="drop"),
        Fault("PUT", r"/chunks/2$", kind="status", status=503),
        Fault("PUT", r"/chunks/3$", kind="drop_after_store"),
    ]
    before = len(platform.receipts)
    js = page.evaluate(
        """async ([plain, doc, opening, section, csrf]) => {
          const s = window.seal;
          const keys = await s.importKeys(doc);
          const r = await s.sealFile(new Blob([s.fromBase64(plain)]), {
            sectionRef: section, bidderRef: "91110000600037341L", openingPublicKey: opening,
            bidderKeys: keys });
          const events = [];
          const receipt = await s.uploadEnvelope(r.envelope, {
            section, csrfToken: csrf, chunkSize: 1024, baseDelay: 5,
            onProgress: (p) => events.push(p.phase), envelopeSha256: r.envelopeSha256 });
          return { receipt, sha: r.envelopeSha256, events,
                   envelope: s.toBase64(new Uint8Array(await r.envelope.arrayBuffer())) };
        }""",
        [_b64(os.urandom(5000)), _js_keys(keys), opening.public_key.to_text(), SECTION, CSRF],
    )
    assert len(platform.receipts) == before + 1
    upload_id = max(platform.receipts)
    assert platform.envelopes[upload_id] == base64.b64decode(js["envelope"])
    assert js["receipt"]["envelope_sha256"] == js["sha"]
    assert js["receipt"]["receipt"]["section"] == SECTION
    assert platform.fingerprints[upload_id]["format"] == "ggzy-bid-fingerprint"
    puts = platform.requests("PUT", f"/uploads/{upload_id}/")
    assert puts.count(f"/api/v1/tendering/uploads/{upload_id}/chunks/1") >= 2
    assert puts.count(f"/api/v1/tendering/uploads/{upload_id}/chunks/2") == 2
    assert "retry" in js["events"]
    assert "upload" in js["events"]


def test_upload_envelope_reports_final_errors(page: Any, platform: PlatformDouble) -> None:
    platform.deadline_passed = True
    try:
        result = page.evaluate(
            """async ([section]) => {
              const blob = new Blob([new Uint8Array(100)]);
              try { await window.seal.uploadEnvelope(blob, { section, token: "wrong" }); }
              catch (e) { return [e.code, e.status]; }
              return "uploaded";
            }""",
            [SECTION],
        )
        assert result == ["not_authenticated", 401]
        result = page.evaluate(
            """async ([section, csrf]) => {
              const blob = new Blob([new Uint8Array(100)]);
              try { await window.seal.uploadEnvelope(blob, { section, csrfToken: csrf }); }
              catch (e) { return [e.code, e.message]; }
              return "uploaded";
            }""",
            [SECTION, CSRF],
        )
        assert result[0] == "bid_deadline_passed"
        assert "投标截止时间已过" in result[1]
    finally:
        platform.deadline_passed = False

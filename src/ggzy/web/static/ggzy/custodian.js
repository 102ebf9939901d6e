// custodian.js — the opening-key custodian's share (开标密钥分片) in the browser.
//
// A share is sealed by ggzy.tendering.keyshare.seal_share: a random 32-byte key wrapped to
// the custodian's X25519 key (X25519 → HKDF-SHA256(salt = aad, info = "ggzy-key-wrap-v1" ‖
// epk ‖ recipient) → AES-256-GCM with a zero nonce), then the share = AES-256-GCM(key,
// nonce, ct, aad) with aad = "ggzy-sealed-share/v1|tender:<id>|role:<role>". The private
// key never leaves the browser; only the unsealed share is posted, after the deadline.
// ES module, no dependencies; key text forms and Base64 helpers come from seal.js.

import { EnvelopeError, fromBase64, parsePrivateKey, toBase64 } from "./seal.js";

const te = new TextEncoder();
const subtle = globalThis.crypto?.subtle;
export const SEALED_SHARE_FORMAT = "ggzy-sealed-share/v1";
const API = "/api/v1/tendering";

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

async function hkdf(ikm, salt, info, length) {
  const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, length * 8));
}

export const shareAad = (tender, role) => te.encode(`${SEALED_SHARE_FORMAT}|tender:${tender}|role:${role}`);

/**
 * The custodian's X25519 private key from a file's text: the JSON keys document of seal.js
 * `exportKeys` (its `encryption_key`) or a plain `x25519-private:<base64>` line.
 * Returns `{algorithm, privateKey, publicRaw}`.
 */
export async function loadPrivateKey(text) {
  const trimmed = String(text ?? "").trim();
  let keyText = trimmed;
  if (trimmed.startsWith("{")) {
    let doc;
    try { doc = JSON.parse(trimmed); } catch { throw new EnvelopeError("key_malformed", "the keys file is not valid JSON"); }
    keyText = doc?.encryption_key ?? "";
    if (!keyText) throw new EnvelopeError("key_malformed", "the keys file has no encryption_key");
  }
  const key = await parsePrivateKey(keyText);
  if (key.algorithm !== "x25519") throw new EnvelopeError("key_unsupported", "need an x25519 private key");
  return key;
}

/**
 * Open a sealed share: `sealed` is the sealed JSON (text, bytes or parsed object), `key` from
 * `loadPrivateKey`. `expect` ({tender, role}) guards against opening another tender's share.
 * Returns the share bytes. Errors: share_malformed, wrong_key.
 */
export async function unsealShare(sealed, key, expect = {}) {
  let body = sealed;
  if (sealed instanceof Uint8Array) body = new TextDecoder().decode(sealed);
  if (typeof body === "string") {
    try { body = JSON.parse(body); } catch { throw new EnvelopeError("share_malformed", "not a sealed share"); }
  }
  if (!body || body.format !== SEALED_SHARE_FORMAT) throw new EnvelopeError("share_malformed", "not a sealed share");
  if (expect.tender !== undefined && String(body.tender) !== String(expect.tender)) throw new EnvelopeError("share_malformed", "the share belongs to another tender");
  if (expect.role !== undefined && body.role !== expect.role) throw new EnvelopeError("share_malformed", "the share belongs to another role");
  const aad = shareAad(body.tender, body.role);
  const epk = fromBase64(body.epk);
  const wk = fromBase64(body.wk);
  if (epk.length !== 32 || wk.length <= 16) throw new EnvelopeError("share_malformed", "malformed wrapped key");
  const eph = await subtle.importKey("raw", epk, { name: "X25519" }, true, []);
  const shared = new Uint8Array(await subtle.deriveBits({ name: "X25519", public: eph }, key.privateKey, 256));
  const info = concat(te.encode("ggzy-key-wrap-v1"), epk, key.publicRaw);
  const kek = await subtle.importKey("raw", await hkdf(shared, aad, info, 32), "AES-GCM", false, ["decrypt"]);
  let raw;
  try {
    raw = new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, kek, wk));
  } catch {
    throw new EnvelopeError("wrong_key", "this private key cannot open the share");
  }
  const aes = await subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]);
  try {
    return new Uint8Array(await subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(body.nonce), additionalData: aad }, aes, fromBase64(body.ct),
    ));
  } catch {
    throw new EnvelopeError("share_malformed", "the sealed share was altered");
  }
}

async function api(method, path, { csrfToken, body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (csrfToken) headers["X-CSRFToken"] = csrfToken;
  const r = await fetch(API + path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const doc = await r.json().catch(() => ({}));
  if (!r.ok) throw new EnvelopeError(doc.code ?? `http_${r.status}`, doc.message ?? doc.detail ?? r.statusText, r.status);
  return doc;
}

/** The caller's shares of a tender: [{role, key_id, sealed_share (Base64 JSON), released}]. */
export const myShares = (tenderId) => api("GET", `/tenders/${tenderId}/shares/mine`);

/** POST the unsealed share (bytes) — refused before the deadline (share_too_early). */
export const releaseShare = (tenderId, role, share, csrfToken) =>
  api("POST", `/tenders/${tenderId}/shares/${encodeURIComponent(role)}/release`, { csrfToken, body: { share: toBase64(share) } });

/** Fetch, unseal and release every unreleased share of `tenderId` held by the caller. */
export async function unsealAndRelease(tenderId, keyText, csrfToken, { onStatus = () => {} } = {}) {
  const key = await loadPrivateKey(keyText);
  const released = [];
  for (const s of await myShares(tenderId)) {
    if (s.released) continue;
    onStatus({ role: s.role, phase: "unseal" });
    const share = await unsealShare(fromBase64(s.sealed_share), key, { tender: tenderId, role: s.role });
    onStatus({ role: s.role, phase: "release" });
    released.push(await releaseShare(tenderId, s.role, share, csrfToken));
  }
  return released;
}

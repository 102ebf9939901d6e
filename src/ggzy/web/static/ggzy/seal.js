// seal.js — sealed bid envelopes (加密投标文件) in the browser.
//
// Produces and opens envelope format v1, suite "intl" (docs/envelope.md), byte for byte
// the format of ggzy.crypto.envelope: X25519 + HKDF-SHA256 + AES-256-GCM key wrap,
// AES-256-GCM chunks, Ed25519 signature over the header, commitment = SHA-256 of the
// plaintext bid package. Everything runs in WebCrypto (crypto.subtle) except the
// incremental SHA-256, which WebCrypto lacks (its digest is one-shot), so a 200 MB file is
// hashed slice by slice instead of being copied into memory whole.
//
// Also: the bidder's keys in the same text forms as `ggzy bidkit` (ed25519:…,
// x25519-private:…), the signed key release statement (解密密钥释放声明) and the resumable
// chunked upload (断点续传) of docs/bidkit.md. ES module, no dependencies, no build step.
// Needs a secure context (https:// or http://127.0.0.1) and WebCrypto X25519/Ed25519.

const te = new TextEncoder();
const subtle = globalThis.crypto?.subtle;

export const VERSION = "0.1.0";
export const TOOL = "ggzy-seal.js";
export const DEFAULT_CHUNK_SIZE = 1 << 20;
export const MIN_CHUNK_SIZE = 16;
export const MAX_CHUNK_SIZE = 16 << 20;
const MAX_LENGTH = 2 ** 40;
const MAX_HEADER = 65536;
const TAG = 16;
const PREFIX_SIZE = 13;
const MAGIC = "GGZY-ENV";
const HEADER_KEYS = [
  "bidder", "chunk_size", "commitment", "format", "key_check", "length",
  "recipients", "salt", "signature", "signer", "suite", "tender", "v",
].join(",");
const RECIPIENT_KEYS = "epk,kid,role,wk";
const FINAL_CODES = new Set(["bid_deadline_passed"]);
const API = "/api/v1/tendering";

// ------------------------------------------------------------------------------- errors

/** An expected failure with a stable code: the codes of docs/envelope.md §9 and docs/bidkit.md. */
export class EnvelopeError extends Error {
  constructor(code, message, status = undefined) {
    super(`${code}: ${message}`);
    this.name = "EnvelopeError";
    this.code = code;
    this.status = status;
  }
}

// ------------------------------------------------------------------------------- bytes

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
export const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");
export const fromHex = (s) => {
  if (typeof s !== "string" || !/^(?:[0-9a-f]{2})*$/.test(s)) throw new EnvelopeError("envelope_malformed", "not lowercase hex");
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
};
const u64 = (i) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(i)); return b; };

export function toBase64(u8) {
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  return btoa(s);
}
export function fromBase64(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
    throw new EnvelopeError("key_malformed", "not canonical base64");
  }
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  if (toBase64(out) !== text) throw new EnvelopeError("key_malformed", "not canonical base64");
  return out;
}
const b64url = (u8) => toBase64(u8).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromB64url = (s) => {
  const t = s.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(t + "=".repeat((4 - (t.length % 4)) % 4));
};

async function readSlice(blob, start, end) {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

// ------------------------------------------------------------------------------- SHA-256

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/**
 * Incremental SHA-256 (FIPS 180-4): `new Sha256().update(a).update(b).digest()`.
 * WebCrypto's digest() is one-shot; this lets a large Blob be hashed slice by slice.
 * Checked against crypto.subtle.digest and Python's hashlib by tests/e2e/test_seal_js.py.
 */
export class Sha256 {
  constructor() {
    this.h = new Int32Array([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]);
    this.w = new Int32Array(64);
    this.buffer = new Uint8Array(64);
    this.buffered = 0;
    this.length = 0; // bytes
    this.done = false;
  }

  // Compress every whole 64-byte block of b[at, end); state kept in locals for speed.
  _blocks(b, at, end) {
    const w = this.w, h = this.h;
    let h0 = h[0] | 0, h1 = h[1] | 0, h2 = h[2] | 0, h3 = h[3] | 0;
    let h4 = h[4] | 0, h5 = h[5] | 0, h6 = h[6] | 0, h7 = h[7] | 0;
    for (; at + 64 <= end; at += 64) {
      for (let i = 0, j = at; i < 16; i++, j += 4) w[i] = (b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3];
      for (let i = 16; i < 64; i++) {
        const x = w[i - 15], y = w[i - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      let a = h0, bb = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7;
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + bb) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + hh) | 0;
    }
    h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5; h[6] = h6; h[7] = h7;
    return at;
  }

  update(data) {
    if (this.done) throw new Error("Sha256: update after digest");
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    let at = 0;
    this.length += bytes.length;
    if (this.buffered) {
      const take = Math.min(64 - this.buffered, bytes.length);
      this.buffer.set(bytes.subarray(0, take), this.buffered);
      this.buffered += take;
      at = take;
      if (this.buffered < 64) return this;
      this._blocks(this.buffer, 0, 64);
      this.buffered = 0;
    }
    at = this._blocks(bytes, at, bytes.length);
    if (at < bytes.length) {
      this.buffer.set(bytes.subarray(at), 0);
      this.buffered = bytes.length - at;
    }
    return this;
  }

  digest() {
    if (this.done) throw new Error("Sha256: digest called twice");
    const bitsHi = Math.floor(this.length / 0x20000000);
    const bitsLo = (this.length % 0x20000000) * 8;
    const pad = new Uint8Array(((this.buffered < 56 ? 56 : 120) - this.buffered) + 8);
    pad[0] = 0x80;
    const view = new DataView(pad.buffer);
    view.setUint32(pad.length - 8, bitsHi);
    view.setUint32(pad.length - 4, bitsLo);
    const length = this.length;
    this.update(pad);
    this.length = length;
    this.done = true;
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) ov.setUint32(i * 4, this.h[i]);
    return out;
  }
}

/** SHA-256 of a Blob, read in slices (constant memory). Returns hex. */
export async function sha256Blob(blob, sliceSize = DEFAULT_CHUNK_SIZE) {
  const h = new Sha256();
  for (let at = 0; at < blob.size; at += sliceSize) h.update(await readSlice(blob, at, Math.min(blob.size, at + sliceSize)));
  return hex(h.digest());
}

const sha256 = async (data) => new Uint8Array(await subtle.digest("SHA-256", data));

// ------------------------------------------------------------------------------- envelope helpers (§4–§8)

// RFC 8785 for the values used here: objects, arrays, strings, safe integers.
function canonical(v) {
  if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
  if (v !== null && typeof v === "object") {
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}";
  }
  if (typeof v === "number" && !Number.isSafeInteger(v)) throw new EnvelopeError("invalid_parameter", "only safe integers");
  return JSON.stringify(v);
}

async function hkdf(ikm, salt, info, length) {
  const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, length * 8));
}

// §6.3: kid = hex(SHA-256(tag ‖ raw public key)[0:16]); tag 0x01 Ed25519, 0x02 X25519.
const kid = async (tag, raw) => hex((await sha256(concat(Uint8Array.of(tag), raw))).slice(0, 16));

async function derive(ck, salt) {
  return {
    payloadKey: await hkdf(ck, salt, te.encode("ggzy-envelope-v1 payload-key"), 32),
    nonceBase: await hkdf(ck, salt, te.encode("ggzy-envelope-v1 nonce-base"), 12),
    keyCheck: await hkdf(ck, salt, te.encode("ggzy-envelope-v1 key-check"), 16),
  };
}

function chunkNonce(nonceBase, i) {
  const iv = nonceBase.slice();
  const view = new DataView(iv.buffer);
  view.setBigUint64(4, view.getBigUint64(4) ^ BigInt(i));
  return iv;
}

const chunkAad = (coreDigest, i, last) => concat(coreDigest, u64(i), Uint8Array.of(last ? 1 : 0));

// §6.1: wrap the content key to one X25519 recipient (raw 32-byte public key).
async function wrapTo(recipientRaw, ck, salt) {
  const eph = await subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
  const epk = new Uint8Array(await subtle.exportKey("raw", eph.publicKey));
  const recipient = await subtle.importKey("raw", recipientRaw, { name: "X25519" }, true, []);
  const shared = new Uint8Array(await subtle.deriveBits({ name: "X25519", public: recipient }, eph.privateKey, 256));
  if (shared.every((b) => b === 0)) throw new EnvelopeError("key_malformed", "low-order X25519 key");
  const info = concat(te.encode("ggzy-key-wrap-v1"), epk, recipientRaw);
  const kek = await subtle.importKey("raw", await hkdf(shared, salt, info, 32), "AES-GCM", false, ["encrypt"]);
  const wk = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, kek, ck));
  return { epk, wk };
}

function checkRef(value, what) {
  const ok = typeof value === "string"
    && [...value].length >= 1 && [...value].length <= 256
    && value.normalize("NFC") === value
    && !/[\u0000-\u001f\u007f-\u009f]/.test(value)
    && (typeof value.isWellFormed !== "function" || value.isWellFormed());
  if (!ok) throw new EnvelopeError("invalid_parameter", `${what} must be 1–256 characters, NFC, without control characters`);
  return value;
}

// ------------------------------------------------------------------------------- keys

const PKCS8_PREFIX = {
  ed25519: fromHex("302e020100300506032b657004220420"),
  x25519: fromHex("302e020100300506032b656e04220420"),
};
const ALGORITHM = { ed25519: "Ed25519", x25519: "X25519" };
const USAGES = { ed25519: ["sign"], x25519: ["deriveBits"] };

function splitKeyText(text) {
  if (typeof text !== "string" || !text.includes(":")) throw new EnvelopeError("key_malformed", "key text must look like '<algorithm>:<base64>'");
  const at = text.trim().indexOf(":");
  return [text.trim().slice(0, at), text.trim().slice(at + 1)];
}

/** `x25519:<base64>` / `ed25519:<base64>` → `{algorithm, raw}` (raw 32 bytes). */
export function parsePublicKey(text) {
  const [name, payload] = splitKeyText(text);
  if (name === "sm2") throw new EnvelopeError("key_unsupported", "SM2 (gm suite) needs the command-line tool");
  if (!(name in ALGORITHM)) throw new EnvelopeError("key_malformed", `unknown key algorithm ${name}`);
  const raw = fromBase64(payload);
  if (raw.length !== 32) throw new EnvelopeError("key_malformed", `${name} public key must be 32 bytes`);
  return { algorithm: name, raw };
}

async function importPrivate(algorithm, secret) {
  if (secret.length !== 32) throw new EnvelopeError("key_malformed", `${algorithm} private key must be 32 bytes`);
  const key = await subtle.importKey("pkcs8", concat(PKCS8_PREFIX[algorithm], secret), { name: ALGORITHM[algorithm] }, true, USAGES[algorithm]);
  const jwk = await subtle.exportKey("jwk", key);
  return { algorithm, privateKey: key, publicRaw: fromB64url(jwk.x) };
}

/** `ed25519-private:<base64 seed>` / `x25519-private:<base64>` → `{algorithm, privateKey, publicRaw}`. */
export async function parsePrivateKey(text) {
  const [name, payload] = splitKeyText(text);
  const algorithm = name.endsWith("-private") ? name.slice(0, -8) : "";
  if (algorithm === "sm2") throw new EnvelopeError("key_unsupported", "SM2 (gm suite) needs the command-line tool");
  if (!(algorithm in ALGORITHM)) throw new EnvelopeError("key_malformed", "private key text must look like '<algorithm>-private:…'");
  return importPrivate(algorithm, fromBase64(payload));
}

function keyPair(algorithm, privateKey, publicRaw) {
  return { algorithm, privateKey, publicRaw, publicKey: `${algorithm}:${toBase64(publicRaw)}` };
}

function bidderKeys(signing, encryption) {
  return {
    suite: "intl",
    signing: keyPair("ed25519", signing.privateKey, signing.publicRaw),
    encryption: keyPair("x25519", encryption.privateKey, encryption.publicRaw),
    get signingPublicKey() { return this.signing.publicKey; },
    get encryptionPublicKey() { return this.encryption.publicKey; },
  };
}

/** Whether this browser's WebCrypto can seal (X25519, Ed25519, HKDF, AES-GCM; secure context). */
export async function isSupported() {
  if (!subtle) return false;
  try {
    await subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
    await subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fresh bidder keys: an Ed25519 signing key (签名密钥) and an X25519 encryption key (加密密钥).
 * `keys.signingPublicKey` / `keys.encryptionPublicKey` are the texts to register on the platform.
 */
export async function generateBidderKeys() {
  const s = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const e = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
  return bidderKeys(
    { privateKey: s.privateKey, publicRaw: new Uint8Array(await subtle.exportKey("raw", s.publicKey)) },
    { privateKey: e.privateKey, publicRaw: new Uint8Array(await subtle.exportKey("raw", e.publicKey)) },
  );
}

/** The keys as the JSON object `ggzy bidkit` reads (`--keys keys.json`). Contains private keys. */
export async function exportKeys(keys) {
  const d = async (pair) => fromB64url((await subtle.exportKey("jwk", pair.privateKey)).d);
  return {
    format: "ggzy-bidder-keys",
    v: 1,
    suite: "intl",
    signing_key: `ed25519-private:${toBase64(await d(keys.signing))}`,
    encryption_key: `x25519-private:${toBase64(await d(keys.encryption))}`,
    signing_public_key: keys.signing.publicKey,
    encryption_public_key: keys.encryption.publicKey,
  };
}

/** Keys from `exportKeys` output (object or JSON text), e.g. a file the bidder kept. */
export async function importKeys(doc) {
  const obj = typeof doc === "string" ? JSON.parse(doc) : doc;
  if (!obj || obj.format !== "ggzy-bidder-keys" || obj.v !== 1) throw new EnvelopeError("key_malformed", "not a ggzy-bidder-keys document");
  if (obj.suite !== "intl") throw new EnvelopeError("key_unsupported", "only the intl suite works in a browser");
  const signing = await parsePrivateKey(obj.signing_key);
  const encryption = await parsePrivateKey(obj.encryption_key);
  if (signing.algorithm !== "ed25519" || encryption.algorithm !== "x25519") throw new EnvelopeError("key_unsupported", "need ed25519 + x25519 keys");
  const keys = await bidderKeys(signing, encryption);
  for (const [given, actual] of [[obj.signing_public_key, keys.signingPublicKey], [obj.encryption_public_key, keys.encryptionPublicKey]]) {
    if (given !== undefined && given !== actual) throw new EnvelopeError("key_malformed", "public key does not belong to the private key");
  }
  return keys;
}

async function signingFrom(opts) {
  if (opts.bidderKeys) return opts.bidderKeys.signing;
  const s = opts.bidderSigningKey;
  if (typeof s === "string") return parsePrivateKey(s);
  if (s && s.privateKey && s.publicRaw) return s;
  if (s && s.signing) return s.signing;
  throw new EnvelopeError("invalid_parameter", "bidderSigningKey (or bidderKeys) is required");
}

function publicRawFrom(value, what) {
  if (value instanceof Uint8Array) {
    if (value.length !== 32) throw new EnvelopeError("key_malformed", `${what} must be 32 bytes`);
    return value;
  }
  if (value && value.publicRaw) return value.publicRaw;
  if (value && value.encryption) return value.encryption.publicRaw;
  const parsed = parsePublicKey(value);
  if (parsed.algorithm !== "x25519") throw new EnvelopeError("key_unsupported", `${what} must be an x25519 key`);
  return parsed.raw;
}

// ------------------------------------------------------------------------------- seal

/**
 * Seal `file` (a File or Blob: the plaintext bid package) into an envelope.
 *
 * options: sectionRef (标段编号), bidderRef (统一社会信用代码), openingPublicKey
 * ("x25519:…" of the tender), and either bidderKeys (from generate/importKeys) or
 * bidderPublicKey + bidderSigningKey (texts or key objects); chunkSize (default 1 MiB);
 * onProgress({phase: "hash" | "encrypt", done, total}).
 *
 * Two passes over the Blob, one chunk in memory at a time; ciphertext chunks are handed to
 * Blobs at once, so the browser can keep them out of the JS heap. Throws EnvelopeError
 * "input_changed" if the file changed between the passes (then discard the result).
 * Returns {envelope: Blob, header, envelopeSha256, commitment, envelopeLength}.
 */
export async function sealFile(file, options) {
  const opts = options ?? {};
  const tender = checkRef(opts.sectionRef, "sectionRef");
  const bidder = checkRef(opts.bidderRef, "bidderRef");
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new EnvelopeError("invalid_parameter", `chunkSize must be ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`);
  }
  const openingRaw = publicRawFrom(opts.openingPublicKey, "openingPublicKey");
  const bidderRaw = publicRawFrom(opts.bidderKeys ? opts.bidderKeys.encryption : opts.bidderPublicKey, "bidderPublicKey");
  const signing = await signingFrom(opts);
  if ((await kid(0x02, openingRaw)) === (await kid(0x02, bidderRaw))) {
    throw new EnvelopeError("invalid_parameter", "the opening key and the bidder key must differ");
  }
  const progress = opts.onProgress ?? (() => {});
  const L = file.size;
  if (L > MAX_LENGTH) throw new EnvelopeError("invalid_parameter", "plaintext is too large");
  const lastModified = file.lastModified;
  const N = Math.max(1, Math.ceil(L / chunkSize));

  // Pass 1: the commitment (承诺值) = SHA-256(plaintext).
  const first = new Sha256();
  for (let i = 0; i < N; i++) {
    first.update(await readSlice(file, i * chunkSize, Math.min(L, (i + 1) * chunkSize)));
    progress({ phase: "hash", done: Math.min(L, (i + 1) * chunkSize), total: L });
  }
  const commitment = first.digest();

  const ck = opts.contentKey ?? crypto.getRandomValues(new Uint8Array(32));
  if (!(ck instanceof Uint8Array) || ck.length !== 32) throw new EnvelopeError("invalid_parameter", "contentKey must be 32 bytes");
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const keys = await derive(ck, salt);
  const recipients = [];
  for (const [role, pub] of [["opening", openingRaw], ["bidder", bidderRaw]]) {
    const { epk, wk } = await wrapTo(pub, ck, salt);
    recipients.push({ role, kid: await kid(0x02, pub), epk: hex(epk), wk: hex(wk) });
  }
  const core = {
    format: "ggzy-envelope", v: 1, suite: "intl", tender, bidder,
    chunk_size: chunkSize, length: L, commitment: hex(commitment),
    salt: hex(salt), key_check: hex(keys.keyCheck), recipients, signer: await kid(0x01, signing.publicRaw),
  };
  const coreBytes = te.encode(canonical(core));
  const signature = new Uint8Array(await subtle.sign(
    { name: "Ed25519" }, signing.privateKey, concat(te.encode("ggzy-envelope-v1\n"), coreBytes)));
  const header = { ...core, signature: hex(signature) };
  const headerBytes = te.encode(canonical(header));
  const prefix = new Uint8Array(PREFIX_SIZE);
  prefix.set(te.encode(MAGIC), 0);
  prefix[8] = 1;
  new DataView(prefix.buffer).setUint32(9, headerBytes.length); // bytes, not characters

  // Pass 2: encrypt chunk by chunk, re-hashing the plaintext and hashing the output.
  const payloadKey = await subtle.importKey("raw", keys.payloadKey, "AES-GCM", false, ["encrypt"]);
  const coreDigest = await sha256(coreBytes);
  const out = new Sha256().update(prefix).update(headerBytes);
  const second = new Sha256();
  const parts = [new Blob([prefix, headerBytes])];
  let envelopeLength = prefix.length + headerBytes.length;
  for (let i = 0; i < N; i++) {
    const plain = await readSlice(file, i * chunkSize, Math.min(L, (i + 1) * chunkSize));
    second.update(plain);
    const additionalData = chunkAad(coreDigest, i, i === N - 1);
    const sealed = new Uint8Array(await subtle.encrypt(
      { name: "AES-GCM", iv: chunkNonce(keys.nonceBase, i), additionalData }, payloadKey, plain));
    out.update(sealed);
    parts.push(new Blob([sealed]));
    envelopeLength += sealed.length;
    progress({ phase: "encrypt", done: Math.min(L, (i + 1) * chunkSize), total: L });
  }
  if (file.size !== L || file.lastModified !== lastModified || hex(second.digest()) !== hex(commitment)) {
    throw new EnvelopeError("input_changed", "the file changed while it was being sealed; seal it again");
  }
  return {
    envelope: new Blob(parts, { type: "application/octet-stream" }),
    header,
    envelopeSha256: hex(out.digest()),
    commitment: hex(commitment),
    envelopeLength,
  };
}

// ------------------------------------------------------------------------------- read / open

/**
 * Parse and check the header of an envelope Blob (structure only, like Python's read_header).
 * Returns {header, headerBytes, headerLength, envelopeLength}.
 */
export async function readHeader(blob) {
  const prefix = await readSlice(blob, 0, PREFIX_SIZE);
  if (prefix.length < PREFIX_SIZE) throw new EnvelopeError("envelope_truncated", "envelope ends inside its prefix");
  if (new TextDecoder().decode(prefix.subarray(0, 8)) !== MAGIC) throw new EnvelopeError("envelope_malformed", "not a ggzy envelope (bad magic)");
  if (prefix[8] !== 1) throw new EnvelopeError("envelope_unsupported", `unsupported envelope version ${prefix[8]}`);
  const size = new DataView(prefix.buffer).getUint32(9);
  if (size < 2 || size > MAX_HEADER) throw new EnvelopeError("envelope_malformed", "header length out of range");
  const headerBytes = await readSlice(blob, PREFIX_SIZE, PREFIX_SIZE + size);
  if (headerBytes.length < size) throw new EnvelopeError("envelope_truncated", "envelope ends inside its header");
  let header;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch {
    throw new EnvelopeError("envelope_malformed", "header is not UTF-8 JSON");
  }
  if (!header || typeof header !== "object" || Object.keys(header).sort().join(",") !== HEADER_KEYS) {
    throw new EnvelopeError("envelope_malformed", "header fields are missing or unknown");
  }
  if (header.format !== "ggzy-envelope") throw new EnvelopeError("envelope_malformed", "header format name is wrong");
  if (header.v !== 1) throw new EnvelopeError("envelope_unsupported", "unsupported envelope version");
  if (header.suite !== "intl") throw new EnvelopeError("envelope_unsupported", `suite ${header.suite} needs the command-line tool`);
  const r = header.recipients;
  if (!Array.isArray(r) || r.length !== 2 || r[0]?.role !== "opening" || r[1]?.role !== "bidder"
      || r.some((x) => Object.keys(x).sort().join(",") !== RECIPIENT_KEYS)) {
    throw new EnvelopeError("envelope_malformed", "recipient entries must be 'opening' then 'bidder'");
  }
  if (canonical(header) !== new TextDecoder().decode(headerBytes)) throw new EnvelopeError("envelope_malformed", "header is not in canonical form");
  const L = header.length, C = header.chunk_size;
  if (!Number.isSafeInteger(L) || L < 0 || L > MAX_LENGTH || !Number.isSafeInteger(C) || C < MIN_CHUNK_SIZE || C > MAX_CHUNK_SIZE) {
    throw new EnvelopeError("envelope_malformed", "length or chunk_size out of range");
  }
  const N = Math.max(1, Math.ceil(L / C));
  return { header, headerBytes, headerLength: size, envelopeLength: PREFIX_SIZE + size + L + TAG * N };
}

async function headerFrom(envelopeOrHeader) {
  if (envelopeOrHeader instanceof Blob) return (await readHeader(envelopeOrHeader)).header;
  if (envelopeOrHeader instanceof Uint8Array) return (await readHeader(new Blob([envelopeOrHeader]))).header;
  return envelopeOrHeader;
}

async function encryptionFrom(key) {
  if (typeof key === "string") return parsePrivateKey(key);
  if (key && key.encryption) return key.encryption;
  if (key && key.privateKey && key.publicRaw) return key;
  throw new EnvelopeError("invalid_parameter", "need the bidder's x25519 private key or keys");
}

/**
 * Bidder-side decryption (docs/envelope.md §10): unwrap the bidder's own copy of the content key.
 * `envelopeHeader` is the parsed header (or the envelope Blob); `bidderPrivateKey` is the keys
 * object, an encryption key pair, or "x25519-private:…". Returns the 32-byte content key.
 * Errors: wrong_key (not this bidder's envelope), envelope_tampered (altered wrap or header).
 */
export async function releaseKey(envelopeHeader, bidderPrivateKey) {
  const header = await headerFrom(envelopeHeader);
  const own = await encryptionFrom(bidderPrivateKey);
  if (own.algorithm && own.algorithm !== "x25519") throw new EnvelopeError("wrong_key", "need an x25519 key");
  const me = header.recipients.find((r) => r.role === "bidder");
  if (!me || me.kid !== (await kid(0x02, own.publicRaw))) throw new EnvelopeError("wrong_key", "this key is not a recipient of the envelope");
  const epk = fromHex(me.epk);
  const eph = await subtle.importKey("raw", epk, { name: "X25519" }, true, []);
  const shared = new Uint8Array(await subtle.deriveBits({ name: "X25519", public: eph }, own.privateKey, 256));
  const salt = fromHex(header.salt);
  const info = concat(te.encode("ggzy-key-wrap-v1"), epk, own.publicRaw);
  const kek = await subtle.importKey("raw", await hkdf(shared, salt, info, 32), "AES-GCM", false, ["decrypt"]);
  let ck;
  try {
    ck = new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, kek, fromHex(me.wk)));
  } catch {
    throw new EnvelopeError("envelope_tampered", "the wrapped content key does not decrypt");
  }
  const check = await hkdf(ck, salt, te.encode("ggzy-envelope-v1 key-check"), 16);
  if (ck.length !== 32 || hex(check) !== header.key_check) throw new EnvelopeError("envelope_tampered", "the wrapped content key does not belong to this envelope");
  return ck;
}

/**
 * Decrypt an envelope Blob with its content key and run the consistency check (一致性判断).
 * Returns {plaintext: Blob, consistent: true, digest}; throws EnvelopeError wrong_key,
 * envelope_truncated, envelope_tampered, envelope_malformed or commitment_mismatch.
 */
export async function openEnvelope(blob, contentKey, { onProgress } = {}) {
  const { header, headerLength, envelopeLength } = await readHeader(blob);
  const salt = fromHex(header.salt);
  const keys = await derive(contentKey, salt);
  if (contentKey.length !== 32 || hex(keys.keyCheck) !== header.key_check) throw new EnvelopeError("wrong_key", "content key does not fit this envelope");
  const { signature: _signature, ...core } = header;
  const coreDigest = await sha256(te.encode(canonical(core)));
  const payloadKey = await subtle.importKey("raw", keys.payloadKey, "AES-GCM", false, ["decrypt"]);
  const L = header.length, C = header.chunk_size, N = Math.max(1, Math.ceil(L / C));
  const digest = new Sha256();
  const parts = [];
  let at = PREFIX_SIZE + headerLength;
  for (let i = 0; i < N; i++) {
    const size = (i < N - 1 ? C : L - C * (N - 1)) + TAG;
    const data = await readSlice(blob, at, at + size);
    if (data.length < size) throw new EnvelopeError("envelope_truncated", `envelope ends inside chunk ${i} of ${N}`);
    let plain;
    try {
      plain = new Uint8Array(await subtle.decrypt(
        { name: "AES-GCM", iv: chunkNonce(keys.nonceBase, i), additionalData: chunkAad(coreDigest, i, i === N - 1) }, payloadKey, data));
    } catch {
      throw new EnvelopeError("envelope_tampered", `chunk ${i} failed authentication`);
    }
    digest.update(plain);
    parts.push(new Blob([plain]));
    at += size;
    onProgress?.({ phase: "decrypt", done: Math.min(L, (i + 1) * C), total: L });
  }
  if (blob.size > envelopeLength) throw new EnvelopeError("envelope_malformed", "unexpected bytes after the final chunk");
  const got = hex(digest.digest());
  if (got !== header.commitment) throw new EnvelopeError("commitment_mismatch", "decrypted bid file does not match the signed commitment");
  return { plaintext: new Blob(parts, { type: "application/zip" }), consistent: true, digest: got };
}

// ------------------------------------------------------------------------------- key release statement

/**
 * The signed key release statement (解密密钥释放声明) of docs/bidkit.md — the same JSON
 * `ggzy bidkit release-key` writes: {statement: {...}, signature: {algorithm, key_id, value}}.
 */
export async function buildKeyRelease(envelope, keys, { releasedAt = new Date(), envelopeSha256 } = {}) {
  const { header } = await readHeader(envelope);
  if (header.signer !== (await kid(0x01, keys.signing.publicRaw))) throw new EnvelopeError("wrong_key", "the envelope was not signed by these keys");
  const ck = await releaseKey(header, keys);
  const statement = {
    format: "ggzy-key-release", v: 1, suite: "intl",
    section: header.tender, bidder: header.bidder,
    envelope_sha256: envelopeSha256 ?? (await sha256Blob(envelope)),
    content_key: toBase64(ck),
    released_at: releasedAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
  const message = concat(te.encode("ggzy-key-release-v1\n"), te.encode(canonical(statement)));
  const signature = new Uint8Array(await subtle.sign({ name: "Ed25519" }, keys.signing.privateKey, message));
  return {
    statement,
    signature: { algorithm: "ed25519", key_id: await kid(0x01, keys.signing.publicRaw), value: toBase64(signature) },
  };
}

// ------------------------------------------------------------------------------- fingerprint

/** SHA-256("ggzy-bid-fingerprint-v1" ‖ 0 ‖ field ‖ 0 ‖ value), hex — as ggzy.bidkit.fingerprint. */
export async function fingerprintHash(field, value) {
  const normal = String(value).split(/\s+/).filter(Boolean).join(" ");
  return hex(await sha256(concat(te.encode("ggzy-bid-fingerprint-v1"), Uint8Array.of(0), te.encode(field), Uint8Array.of(0), te.encode(normal))));
}

const FINGERPRINT_FIELDS = ["cpu_id", "disk_serial", "machine_id", "memory_serial", "mac_address", "hostname", "os", "tool_version", "local_ip"];

/**
 * The fingerprint record a browser can give: a page cannot read hardware serials, MAC
 * addresses or the host name, so only `os` (the user agent) and `tool_version` are filled;
 * the rest are listed as unavailable. The platform sees the upload's IP address itself.
 */
export async function browserFingerprint() {
  const fields = Object.fromEntries(FINGERPRINT_FIELDS.map((f) => [f, []]));
  fields.os = [await fingerprintHash("os", globalThis.navigator?.userAgent ?? "unknown")];
  fields.tool_version = [await fingerprintHash("tool_version", `${TOOL}/${VERSION}`)];
  return {
    format: "ggzy-bid-fingerprint", v: 1, hash: "sha256", prefix: "ggzy-bid-fingerprint-v1",
    collected_at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    fields,
    unavailable: FINGERPRINT_FIELDS.filter((f) => fields[f].length === 0),
  };
}

// ------------------------------------------------------------------------------- upload

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener("abort", () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
});

async function idempotencyKey(section, sha, step) {
  // The same derivation as `ggzy bidkit submit`, so either client resumes the other's upload.
  return `ggzy-bidkit-${step}-${hex(await sha256(te.encode(`${section}\n${sha}\n${step}`))).slice(0, 40)}`;
}

/**
 * Upload a sealed envelope with the resumable chunked protocol of docs/bidkit.md and check the
 * receipt (回执). options: baseUrl ("" = same origin), section, token (Bearer) or csrfToken
 * (session; sent as X-CSRFToken), chunkSize, fingerprint (default browserFingerprint()),
 * envelopeSha256 (if already known), onProgress({phase: "upload", sent, total, chunk, chunks}),
 * retries (6), baseDelay / maxDelay in ms, signal (AbortSignal).
 * Network errors, 408, 429 and 5xx are retried with exponential backoff; after a failed chunk
 * the platform is asked which chunks it holds. `bid_deadline_passed` is final.
 * Resolves to the receipt; throws EnvelopeError with the platform's code otherwise.
 */
export async function uploadEnvelope(blob, options) {
  const opts = options ?? {};
  const base = (opts.baseUrl ?? "").replace(/\/+$/, "");
  const section = checkRef(opts.section, "section");
  const attempts = Math.max(1, opts.retries ?? 6);
  const baseDelay = opts.baseDelay ?? 500;
  const maxDelay = opts.maxDelay ?? 30000;
  const progress = opts.onProgress ?? (() => {});
  const auth = {};
  if (opts.token) auth.Authorization = `Bearer ${opts.token}`;
  if (opts.csrfToken) auth["X-CSRFToken"] = opts.csrfToken;
  const sha = opts.envelopeSha256 ?? (await sha256Blob(blob));
  const size = blob.size;

  async function once(method, path, { body, headers, expect }) {
    let response;
    try {
      response = await fetch(base + path, {
        method, body, credentials: "same-origin", signal: opts.signal,
        headers: { Accept: "application/json", ...auth, ...headers },
      });
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      return { retry: true, reason: String(error) };
    }
    const text = await response.text().catch(() => "");
    if (expect.includes(response.status)) return { response, text };
    let doc = null;
    try { doc = JSON.parse(text); } catch { /* not JSON */ }
    const code = typeof doc?.code === "string" ? doc.code : `http_${response.status}`;
    const message = typeof doc?.message === "string" ? doc.message : `平台返回 HTTP ${response.status}`;
    if (!FINAL_CODES.has(code) && (response.status >= 500 || response.status === 408 || response.status === 429)) {
      const after = Number(response.headers.get("Retry-After"));
      return { retry: true, reason: `HTTP ${response.status} ${code}`, after: Number.isFinite(after) ? after * 1000 : undefined };
    }
    throw new EnvelopeError(code, message, response.status);
  }

  async function call(what, method, path, init, recovered) {
    for (let attempt = 1; ; attempt++) {
      const result = await once(method, path, init);
      if (!result.retry) return result;
      if (attempt >= attempts) throw new EnvelopeError("network_unavailable", `${what}: ${result.reason}; gave up after ${attempts} attempts — try again to resume`);
      const delay = Math.min(maxDelay, Math.max(baseDelay * 2 ** (attempt - 1), result.after ?? 0));
      progress({ phase: "retry", what, attempt, delay, reason: result.reason });
      await sleep(delay, opts.signal);
      if (recovered && (await recovered())) return null;
    }
  }

  const json = (r) => JSON.parse(r.text);
  const status = async (id) => json(await call("upload status", "GET", `${API}/uploads/${encodeURIComponent(id)}`, { expect: [200] }));

  const created = json(await call("create upload", "POST", `${API}/sections/${encodeURIComponent(section)}/uploads`, {
    body: JSON.stringify({ size, sha256: sha, chunk_size: opts.chunkSize ?? DEFAULT_CHUNK_SIZE }),
    headers: { "Content-Type": "application/json", "Idempotency-Key": await idempotencyKey(section, sha, "upload") },
    expect: [200, 201],
  }));
  const id = created.upload_id;
  const chunkSize = created.chunk_size;
  if (typeof id !== "string" || !/^[A-Za-z0-9._~-]{1,200}$/.test(id) || !Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new EnvelopeError("server_response_invalid", "unexpected response to create upload");
  }
  const chunks = Math.max(1, Math.ceil(size / chunkSize));
  const received = new Set((await status(id)).received ?? []); // fresh, even for a replayed create
  for (let round = 0; round < 3 && received.size < chunks; round++) {
    for (let i = 0; i < chunks; i++) {
      if (received.has(i)) continue;
      const data = await readSlice(blob, i * chunkSize, Math.min(size, (i + 1) * chunkSize));
      const digest = hex(await sha256(data));
      await call(`chunk ${i}`, "PUT", `${API}/uploads/${encodeURIComponent(id)}/chunks/${i}`, {
        body: data, headers: { "Content-Type": "application/octet-stream", "X-Chunk-SHA256": digest }, expect: [200, 201, 204],
      }, async () => {
        for (const j of (await status(id)).received ?? []) received.add(j);
        return received.has(i);
      });
      received.add(i);
      progress({ phase: "upload", sent: Math.min(size, (i + 1) * chunkSize), total: size, chunk: i, chunks, received: received.size });
    }
    for (const j of (await status(id)).received ?? []) received.add(j);
  }
  if (received.size < chunks) throw new EnvelopeError("server_response_invalid", "the platform still lacks some chunks");
  const fingerprint = opts.fingerprint ?? (await browserFingerprint());
  const receipt = json(await call("complete", "POST", `${API}/uploads/${encodeURIComponent(id)}/complete`, {
    body: JSON.stringify({ fingerprint }),
    headers: { "Content-Type": "application/json", "Idempotency-Key": await idempotencyKey(section, sha, "complete") },
    expect: [200, 201],
  }));
  if (typeof receipt?.envelope_sha256 !== "string" || receipt.envelope_sha256.toLowerCase() !== sha) {
    throw new EnvelopeError("receipt_mismatch", `the receipt names envelope ${receipt?.envelope_sha256}, ours is ${sha}`);
  }
  return receipt;
}

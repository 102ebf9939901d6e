// ggzy bid package (投标文件包) built in the browser — the same format as `ggzy bidkit package`
// (docs/bidkit.md): a ZIP holding price-form.json (报价单), files/<name> and manifest.json
// with each member's size and SHA-256. Members are stored (no compression: bid documents are
// mostly PDF/scans already compressed), with fixed dates, so the package is reproducible.
// The server never sees this package: it is sealed with seal.js before upload. The price form
// is therefore checked here with the rules of src/ggzy/bidkit/pricing.py, because a mistake
// would only surface at the opening.

import { EnvelopeError, sha256Blob } from "./seal.js";

export const PACKAGE_FORMAT = "ggzy-bid-package";
export const PRICE_FORM_FORMAT = "ggzy-price-form";
export const PRICE_FORM_NAME = "price-form.json";
export const MANIFEST_NAME = "manifest.json";
export const FILES_PREFIX = "files/";
const MAX_MEMBER = 0xffffffff - 1; // no ZIP64 here; larger documents: use ggzy bidkit
const AMOUNT = /^(0|[1-9][0-9]{0,13})(\.[0-9]{1,6})?$/;
const SLICE = 1 << 20;

const problem = (message) => new EnvelopeError("price_form_invalid", message);

/**
 * Validate the price form fields (strings from the form) and return the price-form.json
 * object, keys in the order Python writes them (sorted). Throws EnvelopeError with a
 * Chinese message naming the field.
 */
export function priceForm({ kind, amount, unit, otherPrice, durationDays, quality }) {
  const form = Number.parseInt(kind, 10);
  if (![1, 2, 3, 9].includes(form)) throw problem("请选择报价形式");
  amount = (amount ?? "").trim();
  otherPrice = (otherPrice ?? "").trim();
  quality = (quality ?? "").trim();
  const days = (durationDays ?? "").toString().trim();
  if (form !== 9 || amount) {
    if (!amount) throw problem("请填写投标报价");
    if (!AMOUNT.test(amount)) throw problem("投标报价须为非负十进制数：整数部分不超过 14 位，小数不超过 6 位");
    if (Number(amount) <= 0) throw problem("投标报价必须大于 0");
    if (form === 2 && Number(amount) > 100) throw problem("费率以百分数表示，不能超过 100");
  }
  let priceUnit = null;
  if (form === 2) {
    priceUnit = null;
  } else if (unit !== "" && unit != null) {
    priceUnit = Number.parseInt(unit, 10);
    if (![0, 1].includes(priceUnit)) throw problem("报价单位只能是元或万元");
  }
  if ((form === 1 || form === 3) && priceUnit === null) throw problem("请选择报价单位（元或万元）");
  if (form === 9 && !otherPrice) throw problem("报价形式为“其他”时须填写其他报价说明");
  if (otherPrice.length > 500) throw problem("其他报价说明不能超过 500 字");
  if (quality.length > 200) throw problem("质量要求不能超过 200 字");
  let duration = null;
  if (days) {
    if (!/^[0-9]+$/.test(days) || Number(days) < 1 || Number(days) > 36500) throw problem("工期须为 1–36500 的整数天数");
    duration = Number(days);
  }
  return {
    amount: amount || null,
    duration_days: duration,
    format: PRICE_FORM_FORMAT,
    other_price: otherPrice || null,
    price_form: form,
    price_unit: priceUnit,
    quality: quality || null,
    v: 1,
  };
}

// JSON as Python's json.dumps(..., ensure_ascii=False, sort_keys=True, indent=2) + "\n"
// for the flat objects and lists used here (keys already sorted by the caller).
const pretty = (value) => new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n");

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32Update(crc, bytes) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

async function crc32Blob(blob) {
  let crc = 0;
  for (let at = 0; at < blob.size; at += SLICE) {
    crc = crc32Update(crc, new Uint8Array(await blob.slice(at, Math.min(blob.size, at + SLICE)).arrayBuffer()));
  }
  return crc;
}

function memberName(file) {
  const name = (file.webkitRelativePath || file.name).normalize("NFC");
  const parts = name.split("/");
  const bad = (p) => !p || p === "." || p === ".." || p.includes("\\") || /[\u0000-\u001f\u007f]/.test(p);
  if (parts.some(bad)) throw new EnvelopeError("package_invalid", `文件名不能放入投标文件包：${name}`);
  return FILES_PREFIX + name;
}

// ZIP records (APPNOTE 6.3.x §4.3): stored, UTF-8 names (flag bit 11), DOS date 1980-01-01.
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

function localHeader(nameBytes, crc, size) {
  const h = new DataView(new ArrayBuffer(30));
  h.setUint32(0, 0x04034b50, true);
  h.setUint16(4, 20, true); // version needed
  h.setUint16(6, 0x0800, true); // UTF-8 names
  h.setUint16(8, 0, true); // stored
  h.setUint16(10, 0, true);
  h.setUint16(12, DOS_DATE, true);
  h.setUint32(14, crc, true);
  h.setUint32(18, size, true);
  h.setUint32(22, size, true);
  h.setUint16(26, nameBytes.length, true);
  h.setUint16(28, 0, true);
  return [new Uint8Array(h.buffer), nameBytes];
}

function centralHeader(nameBytes, crc, size, offset) {
  const h = new DataView(new ArrayBuffer(46));
  h.setUint32(0, 0x02014b50, true);
  h.setUint16(4, (3 << 8) | 20, true); // made by Unix, as the CLI does
  h.setUint16(6, 20, true);
  h.setUint16(8, 0x0800, true);
  h.setUint16(10, 0, true);
  h.setUint16(12, 0, true);
  h.setUint16(14, DOS_DATE, true);
  h.setUint32(16, crc, true);
  h.setUint32(20, size, true);
  h.setUint32(24, size, true);
  h.setUint16(28, nameBytes.length, true);
  h.setUint16(30, 0, true);
  h.setUint16(32, 0, true);
  h.setUint16(34, 0, true);
  h.setUint16(36, 0, true);
  h.setUint32(38, (0o100644 << 16) >>> 0, true);
  h.setUint32(42, offset, true);
  return [new Uint8Array(h.buffer), nameBytes];
}

/**
 * Build the package from the chosen files and the validated price form.
 * Returns { blob, entries, sha256 } where entries list name/size/sha256 as in manifest.json.
 */
export async function buildPackage(files, form, { bidder = null, onProgress } = {}) {
  if (!files || files.length === 0) throw new EnvelopeError("package_invalid", "请选择至少一个投标文件");
  const enc = new TextEncoder();
  const members = [{ name: PRICE_FORM_NAME, blob: new Blob([pretty(form)]) }];
  const seen = new Set();
  const chosen = Array.from(files).map((file) => ({ name: memberName(file), blob: file }));
  chosen.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const m of chosen) {
    const key = m.name.toLowerCase();
    if (seen.has(key)) throw new EnvelopeError("package_invalid", `两个文件在包内同名：${m.name}`);
    seen.add(key);
    if (m.blob.size > MAX_MEMBER) throw new EnvelopeError("package_invalid", `文件过大，请用 ggzy bidkit 制作：${m.name}`);
    members.push(m);
  }
  const total = members.reduce((n, m) => n + m.blob.size, 0);
  let done = 0;
  const entries = [];
  for (const m of members) {
    m.sha256 = await sha256Blob(m.blob);
    m.crc = await crc32Blob(m.blob);
    done += m.blob.size;
    if (onProgress) onProgress(done / Math.max(total, 1));
    entries.push({ name: m.name, sha256: m.sha256, size: m.blob.size });
  }
  const manifest = sortKeys({ bidder, files: entries, format: PACKAGE_FORMAT, v: 1 });
  const manifestBlob = new Blob([pretty(manifest)]);
  members.push({ name: MANIFEST_NAME, blob: manifestBlob, crc: await crc32Blob(manifestBlob) });

  const parts = [];
  const central = [];
  let offset = 0;
  for (const m of members) {
    const nameBytes = enc.encode(m.name);
    const local = localHeader(nameBytes, m.crc, m.blob.size);
    central.push(...centralHeader(nameBytes, m.crc, m.blob.size, offset));
    parts.push(...local, m.blob);
    offset += 30 + nameBytes.length + m.blob.size;
    if (offset > 0xffffffff) throw new EnvelopeError("package_invalid", "投标文件总量超过 4 GB，请用 ggzy bidkit 制作");
  }
  const centralSize = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, members.length, true);
  end.setUint16(10, members.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  const blob = new Blob([...parts, ...central, new Uint8Array(end.buffer)], { type: "application/zip" });
  return { blob, entries, sha256: await sha256Blob(blob) };
}

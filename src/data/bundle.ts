import { FlaggedListError, parseFlaggedList } from '../engine/flagged-list.ts';
import { IpTable, IpTableError, type AsnTotals } from '../engine/ip-table.ts';
import type { FlaggedList, OperatorId } from '../engine/types.ts';

// Signed data bundles: the curated list, the IP table and its meta in one
// versioned file, signed with ECDSA P-256 / SHA-256 (docs/data-bundles.md).
// Plain TypeScript over WebCrypto (globalThis.crypto.subtle), so the same
// code verifies a bundle in the extension and in Node (scripts/data-verify.ts).
// Every function here is pure: it returns a result and never changes the
// data it is given, so a rejected bundle leaves the caller's data as it was.
//
// File layout (integers little-endian):
//   0        "CWDB"             magic
//   4        u32 N              payload length
//   8        payload (N bytes)  the signed bytes, exactly
//   8 + N    signature          64 bytes: ECDSA P-256 over SHA-256 of the payload,
//                               IEEE P1363 r || s (what WebCrypto produces)
//   The file is exactly 8 + N + 64 bytes long.
//
// Payload layout:
//   0        u32 M              manifest length
//   4        manifest           M bytes of UTF-8 JSON:
//                               { "format": 1, "version": "2026-06-17.3",
//                                 "createdAt": "<ISO 8601>",
//                                 "files": [{ "name": "operators.json", "length": 1234 }, ...] }
//   4 + M    the files' bytes back to back, in the manifest's order; exactly the
//            six BUNDLE_FILE_NAMES, each once, and nothing after the last.
//
// A version is "<data date>.<build>" (e.g. "2026-06-17.3"): versions compare
// by date, then by build number. The data shipped inside the extension counts
// as build 0 of its data date (bundledDataVersion).

export const BUNDLE_FORMAT = 1;
export const BUNDLE_EXTENSION = '.cwdata';
const MAGIC = [0x43, 0x57, 0x44, 0x42]; // "CWDB"
const HEADER_BYTES = 8;
const SIGNATURE_BYTES = 64;
const ECDSA_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Largest accepted drop in addresses per family against the current data, as a fraction (as scripts/lib/data-guards.ts). */
export const MAX_BUNDLE_SHRINK = 0.1;

export const BUNDLE_FILE_NAMES = ['operators.json', 'asns.tsv', 'domains.tsv', 'lookalikes.tsv', 'ip-table.bin', 'ip-table-meta.json'] as const;
export type BundleFileName = (typeof BUNDLE_FILE_NAMES)[number];

/** The files a bundle carries, as the repository holds them (data/flagged/*, src/data/generated/*). */
export interface BundleFiles {
  operatorsJson: string;
  asnsTsv: string;
  domainsTsv: string;
  lookalikesTsv: string;
  /** ip-table.bin: the layout of src/engine/ip-table.ts. */
  ipTable: Uint8Array;
  /** ip-table-meta.json, as text. */
  ipTableMeta: string;
}

export interface BundleInput {
  /** "<YYYY-MM-DD data date>.<build number>", see parseDataVersion. */
  version: string;
  /** ISO 8601; defaults to now. */
  createdAt?: string;
  files: BundleFiles;
}

/** Data the extension is using or ships with: what the guards compare a new bundle against. */
export interface InstalledData {
  version: string;
  list: FlaggedList;
  table: IpTable;
}

/** A verified bundle: its manifest, its files (copies, not views of the input) and the parsed data. */
export interface DataBundle extends InstalledData {
  format: typeof BUNDLE_FORMAT;
  createdAt: string;
  /** The version's date: the date of the network data. */
  dataDate: string;
  files: BundleFiles;
  /** ip-table-meta.json, parsed. */
  meta: Record<string, unknown>;
}

/**
 * Why a bundle was refused, in the order verifyBundle checks:
 * - container: truncated or not a bundle file (framing, lengths);
 * - key: the public key given could not be imported;
 * - signature: the payload is not signed by that key (tampered, or another key);
 * - format: signed, but a manifest this code cannot read (format other than 1);
 * - schema: the manifest's fields or files are wrong (list does not parse, table fails its checks);
 * - version / vanished / shrink: the guards of checkBundleGuards.
 */
export type BundleRejectionReason = 'container' | 'key' | 'signature' | 'format' | 'schema' | 'version' | 'vanished' | 'shrink';

export interface BundleRejection {
  ok: false;
  reason: BundleRejectionReason;
  /** One line for people: the options page and the CLI show it as is. */
  message: string;
}

export type VerifyResult = { ok: true; bundle: DataBundle } | BundleRejection;

export type PublicKeyInput = CryptoKey | JsonWebKey | Uint8Array;

export interface GuardContext {
  /** The data in use now (the bundled data when no bundle was applied). */
  current: InstalledData;
  /** The data shipped inside the extension (only its version is compared). */
  bundled: Pick<InstalledData, 'version'>;
}

// ---- versions ----------------------------------------------------------

const VERSION_PATTERN = /^(\d{4}-\d{2}-\d{2})\.(0|[1-9]\d{0,8})$/;

/** Splits "2026-06-17.3" into its date and build number; undefined when malformed. */
export function parseDataVersion(version: unknown): { dataDate: string; build: number } | undefined {
  if (typeof version !== 'string') return undefined;
  const match = VERSION_PATTERN.exec(version);
  if (!match) return undefined;
  const dataDate = match[1]!;
  const time = Date.parse(`${dataDate}T00:00:00Z`);
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== dataDate) return undefined;
  return { dataDate, build: Number(match[2]) };
}

/** <0, 0 or >0 as version a is older than, the same as or newer than b. Throws on a malformed version. */
export function compareDataVersions(a: string, b: string): number {
  const pa = parseDataVersion(a);
  const pb = parseDataVersion(b);
  if (!pa || !pb) throw new Error(`not a data version: ${pa ? b : a} (expected YYYY-MM-DD.N)`);
  if (pa.dataDate !== pb.dataDate) return pa.dataDate < pb.dataDate ? -1 : 1;
  return pa.build - pb.build;
}

/** The version of data shipped in the extension: build 0 of its data date (ip-table-meta.json source.dataDate). */
export function bundledDataVersion(dataDate: string): string {
  const version = `${dataDate}.0`;
  if (!parseDataVersion(version)) throw new Error(`not a data date: ${dataDate} (expected YYYY-MM-DD)`);
  return version;
}

/**
 * The date of the network data an ip-table-meta.json describes: the BGP
 * layer's date when the table was built with --rib (meta.bgp.dataDate, the
 * newest dump's day), else the npm package's data date (meta.source.dataDate).
 * Undefined when it has neither.
 */
export function metaDataDate(meta: unknown): string | undefined {
  if (typeof meta !== 'object' || meta === null) return undefined;
  const { source, bgp } = meta as { source?: { dataDate?: unknown }; bgp?: { dataDate?: unknown } };
  const date = typeof bgp?.dataDate === 'string' ? bgp.dataDate : source?.dataDate;
  return typeof date === 'string' && parseDataVersion(`${date}.0`) ? date : undefined;
}

// ---- writing -----------------------------------------------------------

/** The payload (the bytes to sign) for these files. Throws on a malformed version or date. */
export function encodeBundle(input: BundleInput): Uint8Array {
  if (!parseDataVersion(input.version)) throw new Error(`bundle version ${JSON.stringify(input.version)} is not YYYY-MM-DD.N`);
  const createdAt = input.createdAt ?? new Date().toISOString();
  if (Number.isNaN(Date.parse(createdAt))) throw new Error(`bundle createdAt ${JSON.stringify(createdAt)} is not a date`);
  const encoder = new TextEncoder();
  const contents = fileBytes(input.files, encoder);
  const manifest = encoder.encode(
    JSON.stringify({
      format: BUNDLE_FORMAT,
      version: input.version,
      createdAt,
      files: BUNDLE_FILE_NAMES.map((name) => ({ name, length: contents[name].byteLength })),
    }),
  );
  const total = 4 + manifest.byteLength + BUNDLE_FILE_NAMES.reduce((sum, name) => sum + contents[name].byteLength, 0);
  const payload = new Uint8Array(total);
  new DataView(payload.buffer).setUint32(0, manifest.byteLength, true);
  payload.set(manifest, 4);
  let at = 4 + manifest.byteLength;
  for (const name of BUNDLE_FILE_NAMES) {
    payload.set(contents[name], at);
    at += contents[name].byteLength;
  }
  return payload;
}

/** Signs a payload from encodeBundle and frames it as a bundle file. */
export async function signBundle(payload: Uint8Array, privateKey: CryptoKey): Promise<Uint8Array> {
  const signature = new Uint8Array(await globalThis.crypto.subtle.sign(ECDSA_SIGN, privateKey, own(payload)));
  if (signature.byteLength !== SIGNATURE_BYTES) throw new Error(`expected a ${SIGNATURE_BYTES}-byte P-256 signature, got ${signature.byteLength} bytes (is the key ECDSA P-256?)`);
  const file = new Uint8Array(HEADER_BYTES + payload.byteLength + SIGNATURE_BYTES);
  file.set(MAGIC, 0);
  new DataView(file.buffer).setUint32(4, payload.byteLength, true);
  file.set(payload, HEADER_BYTES);
  file.set(signature, HEADER_BYTES + payload.byteLength);
  return file;
}

// ---- reading -----------------------------------------------------------

/**
 * Verifies a bundle file: container, signature, format, schema, then (when
 * `guards` is given) checkBundleGuards against the data in use. The first
 * failure is returned with its reason; nothing given is changed.
 */
export async function verifyBundle(file: Uint8Array, publicKey: PublicKeyInput, guards?: GuardContext, options: VerifyOptions = {}): Promise<VerifyResult> {
  // 1. Container.
  if (file.byteLength < HEADER_BYTES + SIGNATURE_BYTES) return reject('container', `the file is truncated: ${file.byteLength} bytes, too short for a data bundle`);
  if (!MAGIC.every((b, i) => file[i] === b)) return reject('container', 'not a Carrier Watch data bundle (bad magic)');
  const payloadLength = new DataView(file.buffer, file.byteOffset, HEADER_BYTES).getUint32(4, true);
  const expected = HEADER_BYTES + payloadLength + SIGNATURE_BYTES;
  if (file.byteLength !== expected) {
    return reject('container', `the file is ${file.byteLength < expected ? 'truncated' : 'corrupt'}: ${file.byteLength} bytes where its header promises ${expected}`);
  }
  const payload = file.subarray(HEADER_BYTES, HEADER_BYTES + payloadLength);
  const signature = file.subarray(HEADER_BYTES + payloadLength);

  // 2. Signature.
  let key: CryptoKey;
  try {
    key = await importPublicKey(publicKey);
  } catch (error) {
    return reject('key', `the public key could not be imported: ${messageOf(error)}`);
  }
  let valid: boolean;
  try {
    valid = await globalThis.crypto.subtle.verify(ECDSA_SIGN, key, own(signature), own(payload));
  } catch (error) {
    return reject('signature', `the signature could not be checked: ${messageOf(error)}`);
  }
  if (!valid) return reject('signature', 'bad signature: the data was changed or not signed with the trusted key');

  // 3. Format, 4. schema.
  const read = await readPayload(payload, options.yieldToEvents ?? (async () => undefined));
  if (!read.ok) return read;
  const bundle = read.bundle;

  // 5. Guards.
  if (guards) {
    const rejection = checkBundleGuards(bundle, guards.current, guards.bundled);
    if (rejection) return rejection;
  }
  return { ok: true, bundle };
}

/** Imports a P-256 public key for verifying: a CryptoKey as is, a JWK, or SPKI (DER) bytes. */
export async function importPublicKey(key: PublicKeyInput): Promise<CryptoKey> {
  if (key instanceof Uint8Array) return globalThis.crypto.subtle.importKey('spki', own(key), ECDSA_KEY, false, ['verify']);
  if ('kty' in key) {
    // Only the public part: a JWK with "d" would be a private key pinned by mistake.
    const { kty, crv, x, y } = key;
    return globalThis.crypto.subtle.importKey('jwk', { kty, crv, x, y, ext: true }, ECDSA_KEY, false, ['verify']);
  }
  return key as CryptoKey;
}

export interface VerifyOptions {
  /**
   * Awaited between the schema's steps (list, table, totals: each a few to tens of
   * milliseconds), so a caller with other work, the extension's background, lets it run.
   */
  yieldToEvents?: () => Promise<void>;
}

async function readPayload(payload: Uint8Array, yieldToEvents: () => Promise<void>): Promise<VerifyResult> {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.byteLength < 4) return reject('format', 'the signed payload has no manifest');
  const manifestLength = view.getUint32(0, true);
  if (4 + manifestLength > payload.byteLength) return reject('format', `the manifest length (${manifestLength}) runs past the payload`);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let manifest: unknown;
  try {
    manifest = JSON.parse(decoder.decode(payload.subarray(4, 4 + manifestLength)));
  } catch (error) {
    return reject('format', `the manifest is not JSON: ${messageOf(error)}`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return reject('format', 'the manifest is not a JSON object');
  const m = manifest as Record<string, unknown>;
  if (m.format !== BUNDLE_FORMAT) return reject('format', `unsupported bundle format ${JSON.stringify(m.format)} (this version reads format ${BUNDLE_FORMAT})`);

  const version = parseDataVersion(m.version);
  if (!version) return reject('schema', `the manifest's version ${JSON.stringify(m.version)} is not YYYY-MM-DD.N`);
  if (typeof m.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt))) return reject('schema', `the manifest's createdAt ${JSON.stringify(m.createdAt)} is not a date`);
  if (!Array.isArray(m.files)) return reject('schema', 'the manifest has no "files" list');

  const slices = new Map<string, Uint8Array>();
  let at = 4 + manifestLength;
  for (const entry of m.files as unknown[]) {
    const { name, length } = (typeof entry === 'object' && entry !== null ? entry : {}) as { name?: unknown; length?: unknown };
    if (typeof name !== 'string' || !(BUNDLE_FILE_NAMES as readonly string[]).includes(name)) return reject('schema', `the manifest lists an unknown file ${JSON.stringify(name)}`);
    if (slices.has(name)) return reject('schema', `the manifest lists ${name} twice`);
    if (!Number.isSafeInteger(length) || (length as number) < 0) return reject('schema', `the manifest gives ${name} a bad length ${JSON.stringify(length)}`);
    const end = at + (length as number);
    if (end > payload.byteLength) return reject('schema', `${name} runs past the end of the payload`);
    slices.set(name, payload.subarray(at, end));
    at = end;
  }
  const missing = BUNDLE_FILE_NAMES.filter((name) => !slices.has(name));
  if (missing.length > 0) return reject('schema', `the bundle lacks ${missing.join(', ')}`);
  if (at !== payload.byteLength) return reject('schema', `${payload.byteLength - at} unlisted bytes after the last file`);

  const text: Partial<Record<BundleFileName, string>> = {};
  for (const name of BUNDLE_FILE_NAMES) {
    if (name === 'ip-table.bin') continue;
    try {
      text[name] = decoder.decode(slices.get(name));
    } catch {
      return reject('schema', `${name} is not valid UTF-8`);
    }
  }
  const files: BundleFiles = {
    operatorsJson: text['operators.json']!,
    asnsTsv: text['asns.tsv']!,
    domainsTsv: text['domains.tsv']!,
    lookalikesTsv: text['lookalikes.tsv']!,
    // A copy: the bundle must not alias (or keep alive) the caller's file.
    ipTable: slices.get('ip-table.bin')!.slice(),
    ipTableMeta: text['ip-table-meta.json']!,
  };

  await yieldToEvents();
  let list: FlaggedList;
  try {
    list = parseFlaggedList(files);
  } catch (error) {
    const detail = error instanceof FlaggedListError ? error.problems.slice(0, 5).join('; ') + (error.problems.length > 5 ? `; and ${error.problems.length - 5} more` : '') : messageOf(error);
    return reject('schema', `the curated list does not parse: ${detail}`);
  }
  await yieldToEvents();
  let table: IpTable;
  try {
    table = IpTable.decode(files.ipTable);
  } catch (error) {
    return reject('schema', error instanceof IpTableError ? error.message : `IP table: ${messageOf(error)}`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(files.ipTableMeta);
  } catch (error) {
    return reject('schema', `ip-table-meta.json is not JSON: ${messageOf(error)}`);
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return reject('schema', 'ip-table-meta.json is not a JSON object');
  const declared = (meta as { totals?: unknown }).totals;
  await yieldToEvents();
  if (declared !== undefined) {
    const actual = tableTotals(table);
    const d = (typeof declared === 'object' && declared !== null ? declared : {}) as Record<string, unknown>;
    const same = d.v4Ranges === actual.v4Ranges && d.v4Addresses === actual.v4Addresses && d.v6Ranges === actual.v6Ranges && d.v6Addresses === actual.v6Addresses;
    if (!same) return reject('schema', `ip-table-meta.json totals ${JSON.stringify(declared)} do not match the table ${JSON.stringify(actual)}`);
  }

  return {
    ok: true,
    bundle: {
      format: BUNDLE_FORMAT,
      version: m.version as string,
      createdAt: m.createdAt,
      dataDate: version.dataDate,
      files,
      meta: meta as Record<string, unknown>,
      list,
      table,
    },
  };
}

// ---- guards ------------------------------------------------------------

export interface TableTotals {
  v4Ranges: number;
  v4Addresses: number;
  v6Ranges: number;
  /** Decimal string: IPv6 address counts exceed 2^53. */
  v6Addresses: string;
}

/** Per-ASN totals of a table, computed once per table: the data in use is compared with every bundle checked. */
const asnTotalsCache = new WeakMap<IpTable, Map<number, AsnTotals>>();
function asnTotals(table: IpTable): Map<number, AsnTotals> {
  let totals = asnTotalsCache.get(table);
  if (!totals) asnTotalsCache.set(table, (totals = table.totalsByAsn()));
  return totals;
}

/** Range and address counts per family, counted as scripts/lib/build-ip-data.ts writes them into ip-table-meta.json. */
export function tableTotals(table: IpTable): TableTotals {
  let v4 = 0;
  let v6 = 0n;
  for (const t of asnTotals(table).values()) {
    v4 += t.v4Addresses;
    v6 += t.v6Addresses;
  }
  return { v4Ranges: table.v4Count, v4Addresses: v4, v6Ranges: table.v6Count, v6Addresses: v6.toString() };
}

export interface OperatorTotals {
  asns: number;
  v4Ranges: number;
  v4Addresses: bigint;
  v6Ranges: number;
  v6Addresses: bigint;
  domains: number;
}

/** What each operator of the list has in the data: its ASNs, their ranges and addresses, its domains. */
export function operatorTotals(list: FlaggedList, table: IpTable): Map<OperatorId, OperatorTotals> {
  const totals = new Map<OperatorId, OperatorTotals>();
  const of = (id: OperatorId): OperatorTotals => {
    let t = totals.get(id);
    if (!t) totals.set(id, (t = { asns: 0, v4Ranges: 0, v4Addresses: 0n, v6Ranges: 0, v6Addresses: 0n, domains: 0 }));
    return t;
  };
  for (const operator of list.operators) of(operator.id);
  const byAsn = asnTotals(table);
  for (const entry of list.asns) {
    const t = of(entry.operatorId);
    t.asns++;
    const ranges = byAsn.get(entry.asn);
    if (!ranges) continue;
    t.v4Ranges += ranges.v4Ranges;
    t.v4Addresses += BigInt(ranges.v4Addresses);
    t.v6Ranges += ranges.v6Ranges;
    t.v6Addresses += ranges.v6Addresses;
  }
  for (const domain of list.domains) of(domain.operatorId).domains++;
  return totals;
}

/**
 * The update guards, in order: a version newer than both the bundled data's
 * and the current one's; no operator that has ranges or domains in the
 * current data left with none; no drop over 10% in addresses per family
 * against the current data. Returns the first failure, or undefined.
 */
export function checkBundleGuards(next: InstalledData, current: InstalledData, bundled: Pick<InstalledData, 'version'>): BundleRejection | undefined {
  for (const [label, other] of [['the bundled data', bundled], ['the data in use', current]] as const) {
    let order: number;
    try {
      order = compareDataVersions(next.version, other.version);
    } catch (error) {
      return reject('version', messageOf(error));
    }
    if (order <= 0) return reject('version', `version ${next.version} is not newer than ${label} (${other.version})`);
  }

  const before = operatorTotals(current.list, current.table);
  const after = operatorTotals(next.list, next.table);
  const vanished: string[] = [];
  for (const [id, t] of before) {
    if (t.v4Ranges + t.v6Ranges + t.domains === 0) continue;
    const n = after.get(id);
    if (!n || n.v4Ranges + n.v6Ranges + n.domains === 0) vanished.push(id);
  }
  if (vanished.length > 0) return reject('vanished', `operator(s) ${vanished.join(', ')} would have no ranges and no domains left`);

  const was = tableTotals(current.table);
  const now = tableTotals(next.table);
  const limit = BigInt(Math.round(MAX_BUNDLE_SHRINK * 1_000_000));
  const drops: string[] = [];
  for (const [label, a, b] of [
    ['IPv4 addresses', BigInt(was.v4Addresses), BigInt(now.v4Addresses)],
    ['IPv6 addresses', BigInt(was.v6Addresses), BigInt(now.v6Addresses)],
  ] as const) {
    // Integer parts per million, as scripts/lib/data-guards.ts: IPv6 counts do not fit a double.
    if (a <= 0n || b >= a || (a - b) * 1_000_000n <= limit * a) continue;
    const percent = (Number(((a - b) * 1_000_000n) / a) / 10_000).toFixed(1);
    drops.push(`${label} ${a} -> ${b} (-${percent}%)`);
  }
  if (drops.length > 0) return reject('shrink', `the data would shrink by more than ${MAX_BUNDLE_SHRINK * 100}%: ${drops.join('; ')}`);
  return undefined;
}

// ---- helpers -----------------------------------------------------------

function fileBytes(files: BundleFiles, encoder: TextEncoder): Record<BundleFileName, Uint8Array> {
  return {
    'operators.json': encoder.encode(files.operatorsJson),
    'asns.tsv': encoder.encode(files.asnsTsv),
    'domains.tsv': encoder.encode(files.domainsTsv),
    'lookalikes.tsv': encoder.encode(files.lookalikesTsv),
    'ip-table.bin': files.ipTable,
    'ip-table-meta.json': encoder.encode(files.ipTableMeta),
  };
}

/** A copy backed by its own ArrayBuffer, as WebCrypto's BufferSource wants. */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

function reject(reason: BundleRejectionReason, message: string): BundleRejection {
  return { ok: false, reason, message };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

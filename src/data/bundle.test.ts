import { beforeAll, describe, expect, it } from 'vitest';
import { encodeIpTable, IpTable, type RangeInput } from '../engine/ip-table.ts';
import {
  BUNDLE_FILE_NAMES,
  bundledDataVersion,
  checkBundleGuards,
  compareDataVersions,
  encodeBundle,
  metaDataDate,
  operatorTotals,
  parseDataVersion,
  signBundle,
  tableTotals,
  verifyBundle,
  type BundleFiles,
  type GuardContext,
  type InstalledData,
  type VerifyResult,
} from './bundle.ts';
import { DATA_BUNDLE_KEY_FINGERPRINT, DATA_BUNDLE_PUBLIC_KEY } from './bundle-key.ts';
import { committedDataDate, committedFiles, installedData, withRanges as filteredRanges } from './test-bundles.ts';

const { subtle } = globalThis.crypto;

async function keyPair(): Promise<CryptoKeyPair> {
  return subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
}

// The committed data: what the extension ships, as files and as guard input.
const committed: BundleFiles = committedFiles();
const dataDate = committedDataDate();
const installed: InstalledData = installedData(committed);
const guards: GuardContext = { current: installed, bundled: installed };
const NEXT = `${dataDate}.1`;

/** The committed files with the table's ranges filtered (and the meta's totals made to match), then `changes`. */
function withRanges(keep: (r: RangeInput) => boolean, changes: Partial<BundleFiles> = {}): BundleFiles {
  return { ...filteredRanges(committed, keep), ...changes };
}

async function signed(files: BundleFiles, privateKey: CryptoKey, version = NEXT): Promise<Uint8Array> {
  return signBundle(encodeBundle({ version, createdAt: '2026-12-01T10:00:00.000Z', files }), privateKey);
}

function rejected(result: VerifyResult): { reason: string; message: string } {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  return { reason: result.reason, message: result.message };
}

let keys: CryptoKeyPair;
let good: Uint8Array;
beforeAll(async () => {
  keys = await keyPair();
  good = await signed(committed, keys.privateKey);
});

describe('versions', () => {
  it('compare by data date, then build number', () => {
    expect(compareDataVersions('2026-06-17.2', '2026-06-17.10')).toBeLessThan(0);
    expect(compareDataVersions('2026-06-18.0', '2026-06-17.99')).toBeGreaterThan(0);
    expect(compareDataVersions('2026-06-17.3', '2026-06-17.3')).toBe(0);
    expect(parseDataVersion('2026-02-30.1')).toBeUndefined();
    expect(parseDataVersion('2026-06-17')).toBeUndefined();
    expect(parseDataVersion('2026-06-17.01')).toBeUndefined();
    expect(parseDataVersion(20260617)).toBeUndefined();
    expect(bundledDataVersion('2026-06-17')).toBe('2026-06-17.0');
    expect(() => encodeBundle({ version: 'latest', files: committed })).toThrow(/YYYY-MM-DD\.N/);
  });
});

describe('a good bundle', () => {
  it('round-trips the files byte for byte and parses them', async () => {
    const result = await verifyBundle(good, keys.publicKey, guards);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { bundle } = result;
    expect(bundle).toMatchObject({ format: 1, version: NEXT, dataDate, createdAt: '2026-12-01T10:00:00.000Z' });
    expect(bundle.files).toEqual(committed);
    expect(bundle.list).toEqual(installed.list);
    expect(tableTotals(bundle.table)).toEqual((JSON.parse(committed.ipTableMeta) as { totals: unknown }).totals);
    expect(bundle.table.lookupV4(0x01000001)).toBe(installed.table.lookupV4(0x01000001));
  });

  it('verifies with the public key as a CryptoKey, a JWK or SPKI bytes', async () => {
    const jwk = await subtle.exportKey('jwk', keys.publicKey);
    const spki = new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
    for (const key of [keys.publicKey, jwk, spki]) expect((await verifyBundle(good, key)).ok).toBe(true);
  });

  it('does not alias the file it was given', async () => {
    const copy = good.slice();
    const result = await verifyBundle(copy, keys.publicKey);
    copy.fill(0);
    expect(result.ok && result.bundle.files.ipTable).toEqual(committed.ipTable);
  });

  it('lays the file out as documented: magic, payload length, payload, 64-byte signature', () => {
    expect(new TextDecoder().decode(good.subarray(0, 4))).toBe('CWDB');
    const payloadLength = new DataView(good.buffer, good.byteOffset).getUint32(4, true);
    expect(good.byteLength).toBe(8 + payloadLength + 64);
    const payload = good.subarray(8, 8 + payloadLength);
    const manifestLength = new DataView(payload.buffer, payload.byteOffset).getUint32(0, true);
    const manifest = JSON.parse(new TextDecoder().decode(payload.subarray(4, 4 + manifestLength))) as { files: { name: string }[] };
    expect(manifest.files.map((f) => f.name)).toEqual([...BUNDLE_FILE_NAMES]);
  });
});

describe('a damaged or foreign bundle is rejected with its reason', () => {
  it('a flipped byte in the payload: bad signature', async () => {
    for (const at of [8, 8 + 100, good.byteLength - 64 - 1]) {
      const file = good.slice();
      file[at]! ^= 0x01;
      expect(rejected(await verifyBundle(file, keys.publicKey))).toMatchObject({ reason: 'signature', message: expect.stringMatching(/bad signature/) });
    }
  });

  it('a flipped byte in the signature: bad signature', async () => {
    const file = good.slice();
    file[file.byteLength - 10]! ^= 0x80;
    expect(rejected(await verifyBundle(file, keys.publicKey)).reason).toBe('signature');
  });

  it('a truncated file: container', async () => {
    for (const length of [0, 7, 60, good.byteLength - 1, good.byteLength >> 1]) {
      expect(rejected(await verifyBundle(good.subarray(0, length), keys.publicKey))).toMatchObject({ reason: 'container', message: expect.stringMatching(/truncated/) });
    }
    const longer = new Uint8Array(good.byteLength + 1);
    longer.set(good);
    expect(rejected(await verifyBundle(longer, keys.publicKey))).toMatchObject({ reason: 'container', message: expect.stringMatching(/corrupt/) });
    expect(rejected(await verifyBundle(new TextEncoder().encode('<html>not found</html>'.padEnd(200)), keys.publicKey))).toMatchObject({ reason: 'container', message: expect.stringMatching(/bad magic/) });
  });

  it('a bundle signed by another key: bad signature', async () => {
    const other = await keyPair();
    expect(rejected(await verifyBundle(await signed(committed, other.privateKey), keys.publicKey)).reason).toBe('signature');
    // And a real bundle does not verify with the pinned production key.
    expect(rejected(await verifyBundle(good, DATA_BUNDLE_PUBLIC_KEY)).reason).toBe('signature');
  });

  it('a key that cannot be imported: key', async () => {
    expect(rejected(await verifyBundle(good, new Uint8Array([1, 2, 3]))).reason).toBe('key');
  });

  it('a signed bundle of another format: format', async () => {
    const payload = encodeBundle({ version: NEXT, files: committed });
    const text = new TextDecoder().decode(payload.subarray(0, 200));
    const at = text.indexOf('"format":1');
    expect(at).toBeGreaterThan(0);
    payload[at + '"format":'.length] = '2'.charCodeAt(0);
    const result = rejected(await verifyBundle(await signBundle(payload, keys.privateKey), keys.publicKey));
    expect(result).toEqual({ reason: 'format', message: 'unsupported bundle format 2 (this version reads format 1)' });
  });

  it('a signed bundle whose list or table is malformed: schema', async () => {
    const badList = await signed({ ...committed, asnsTsv: `${committed.asnsTsv}notanumber\tchina-mobile\t\thigh\tx\t\tsrc\n` }, keys.privateKey);
    expect(rejected(await verifyBundle(badList, keys.publicKey))).toMatchObject({ reason: 'schema', message: expect.stringMatching(/curated list does not parse: asns\.tsv:\d+/) });
    const badTable = await signed({ ...committed, ipTable: committed.ipTable.subarray(0, committed.ipTable.byteLength - 2) }, keys.privateKey);
    expect(rejected(await verifyBundle(badTable, keys.publicKey))).toMatchObject({ reason: 'schema', message: expect.stringMatching(/IP table: .* bytes where its header promises/) });
    const badMeta = await signed({ ...committed, ipTableMeta: committed.ipTableMeta.replace('"v4Ranges": 14652', '"v4Ranges": 14653') }, keys.privateKey);
    expect(rejected(await verifyBundle(badMeta, keys.publicKey))).toMatchObject({ reason: 'schema', message: expect.stringMatching(/totals .* do not match the table/) });
  });
});

describe('the update guards', () => {
  it('refuse a version not newer than the bundled and the current data', async () => {
    const older = await signed(committed, keys.privateKey, '2026-06-16.9');
    expect(rejected(await verifyBundle(older, keys.publicKey, guards))).toEqual({ reason: 'version', message: `version 2026-06-16.9 is not newer than the bundled data (${dataDate}.0)` });
    const same = await signed(committed, keys.privateKey, `${dataDate}.0`);
    expect(rejected(await verifyBundle(same, keys.publicKey, guards)).reason).toBe('version');
    // Newer than the bundled data, but not than the bundle in use.
    const current = { ...installed, version: `${dataDate}.5` };
    const result = rejected(await verifyBundle(good, keys.publicKey, { current, bundled: installed }));
    expect(result).toEqual({ reason: 'version', message: `version ${NEXT} is not newer than the data in use (${dataDate}.5)` });
  });

  it('refuse a bundle that drops an operator', async () => {
    const mobileAsns = new Set(installed.list.asns.filter((a) => a.operatorId === 'china-mobile').map((a) => a.asn));
    const domainsTsv = committed.domainsTsv
      .split('\n')
      .filter((line) => !line.split('\t')[1]?.startsWith('china-mobile'))
      .join('\n');
    const file = await signed(withRanges((r) => !mobileAsns.has(r.asn), { domainsTsv }), keys.privateKey);
    const result = rejected(await verifyBundle(file, keys.publicKey, guards));
    expect(result).toEqual({ reason: 'vanished', message: 'operator(s) china-mobile would have no ranges and no domains left' });
    // Without guards (data:verify --no-guards) the same bundle is well formed.
    expect((await verifyBundle(file, keys.publicKey)).ok).toBe(true);
  });

  it('count an operator with domains but no ranges as still present', async () => {
    const mobileAsns = new Set(installed.list.asns.filter((a) => a.operatorId === 'china-mobile').map((a) => a.asn));
    const next = { ...installed, version: NEXT, table: IpTable.decode(withRanges((r) => !mobileAsns.has(r.asn)).ipTable) };
    // It shrinks, though: the vanish guard passes and the shrink guard speaks.
    expect(checkBundleGuards(next, installed, installed)?.reason).toBe('shrink');
  });

  it('refuse a bundle that shrinks by more than 10% and accept a smaller drop', async () => {
    const shrunk = await signed(withRanges((r) => r.asn !== 4134), keys.privateKey);
    const result = rejected(await verifyBundle(shrunk, keys.publicKey, guards));
    expect(result.reason).toBe('shrink');
    expect(result.message).toMatch(/^the data would shrink by more than 10%: IPv4 addresses 252992256 -> 152056832 \(-39\.9%\); IPv6 addresses \d+ -> \d+ \(-46\.8%\)$/);

    // Drop about 5% of the IPv4 addresses (every operator keeps some): accepted.
    const v4 = [...installed.table.ranges(4)];
    const total = v4.reduce((sum, r) => sum + (r.end - r.start + 1n), 0n);
    const dropped = new Set<RangeInput>();
    let removed = 0n;
    for (const r of v4) {
      if ((removed + (r.end - r.start + 1n)) * 20n > total) continue;
      removed += r.end - r.start + 1n;
      dropped.add(r);
    }
    expect(removed * 25n).toBeGreaterThan(total); // more than 4%
    const table = encodeIpTable(v4.filter((r) => !dropped.has(r)), [...installed.table.ranges(6)]);
    const meta = JSON.parse(committed.ipTableMeta) as Record<string, unknown>;
    meta.totals = tableTotals(IpTable.decode(table));
    const smaller = await signed({ ...committed, ipTable: table, ipTableMeta: JSON.stringify(meta) }, keys.privateKey);
    expect((await verifyBundle(smaller, keys.publicKey, guards)).ok).toBe(true);
  });

  it('leave the caller data untouched', async () => {
    const before = { version: installed.version, totals: tableTotals(installed.table), operators: operatorTotals(installed.list, installed.table), list: structuredClone(installed.list) };
    await verifyBundle(await signed(withRanges((r) => r.asn !== 4134), keys.privateKey), keys.publicKey, guards);
    await verifyBundle(good, keys.publicKey, guards);
    expect({ version: installed.version, totals: tableTotals(installed.table), operators: operatorTotals(installed.list, installed.table), list: installed.list }).toEqual(before);
  });
});

describe('the pinned key', () => {
  it('is a public P-256 key whose SPKI hashes to the fingerprint', async () => {
    expect(DATA_BUNDLE_PUBLIC_KEY).not.toHaveProperty('d');
    const key = await subtle.importKey('jwk', DATA_BUNDLE_PUBLIC_KEY, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    const spki = await subtle.exportKey('spki', key);
    const hex = [...new Uint8Array(await subtle.digest('SHA-256', spki))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(hex).toBe(DATA_BUNDLE_KEY_FINGERPRINT);
  });
});

describe('the data date of a meta file', () => {
  it('is the BGP layer\'s date (the newest dump\'s day) when the table was built from RIBs, else the package date', () => {
    expect(metaDataDate({ source: { dataDate: '2026-06-17' } })).toBe('2026-06-17');
    const bgp = { dataDate: '2026-12-01', files: [{ dumpTime: '2026-12-01T00:00:00Z' }] };
    expect(metaDataDate({ source: { dataDate: '2026-06-17' }, bgp })).toBe('2026-12-01');
    expect(metaDataDate({ source: { dataDate: 'June' } })).toBeUndefined();
    expect(metaDataDate({})).toBeUndefined();
    expect(metaDataDate(JSON.parse(committed.ipTableMeta))).toBe(dataDate);
  });
});

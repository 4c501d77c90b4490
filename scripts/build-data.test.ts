import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFlaggedList } from '../src/engine/flagged-list.ts';
import { IpTable } from '../src/engine/ip-table.ts';
import { dataDateOf, type IpTableMeta } from './lib/build-ip-data.ts';
import { checkShrink } from './lib/data-guards.ts';
import { paintRanges, V4_OPS, V6_OPS, type Interval } from './lib/paint-ranges.ts';
import { parseCsvRow, parsePrefix, readExtraPrefixes, readPackageV4 } from './lib/read-ranges.ts';
import { runBuildData, type CliIo } from './lib/run-build-data.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'tests', 'fixtures', 'data');
const fixture = (...parts: string[]): string => join(fixtures, ...parts);

const scratch: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'carrier-watch-data-'));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI on the fixtures, capturing its output. */
async function run(args: string[], { flagged = fixture('flagged'), pkg = fixture('pkg') } = {}): Promise<{ code: number; out: string; err: string }> {
  const lines = { out: [] as string[], err: [] as string[] };
  const io: CliIo = { log: (m) => lines.out.push(m), error: (m) => lines.err.push(m) };
  const code = await runBuildData(['--flagged', flagged, '--package', pkg, ...args], io);
  return { code, out: lines.out.join('\n'), err: lines.err.join('\n') };
}

function readOutput(dir: string): { table: IpTable; meta: IpTableMeta } {
  return { table: IpTable.decode(readFileSync(join(dir, 'ip-table.bin'))), meta: JSON.parse(readFileSync(join(dir, 'ip-table-meta.json'), 'utf8')) as IpTableMeta };
}

const v4 = (text: string): bigint => BigInt(text.split('.').reduce((a, o) => a * 256 + Number(o), 0));
const rangesOf = (table: IpTable, family: 4 | 6) => [...table.ranges(family)];

describe('reading the package CSV', () => {
  it('parses a quoted org with commas and doubled quotes', () => {
    expect(parseCsvRow('1,2,13335,"Cloudflare, Inc."')).toEqual({ start: '1', end: '2', asn: 13335, org: 'Cloudflare, Inc.' });
    expect(parseCsvRow('1,2,201907,"LLC ""SPUTNIK"""')).toEqual({ start: '1', end: '2', asn: 201907, org: 'LLC "SPUTNIK"' });
    expect(parseCsvRow('1,2,5,Plain name')).toEqual({ start: '1', end: '2', asn: 5, org: 'Plain name' });
    expect(parseCsvRow('1,2,5,"open')).toMatch(/not a valid CSV field/);
    expect(parseCsvRow('1,2,5,a,b')).toMatch(/not a valid CSV field/);
    expect(parseCsvRow('1,2,5')).toMatch(/4 comma-separated columns/);
  });

  it('keeps every row for painting and the org of curated ASNs', () => {
    const problems: string[] = [];
    const text = readFileSync(fixture('pkg', 'asn-ipv4-num.csv'), 'utf8');
    const { intervals, orgs } = readPackageV4({ name: 'v4.csv', text }, new Set([64500, 64501]), problems);
    expect(problems).toEqual([]);
    expect(intervals).toHaveLength(7);
    expect(orgs).toEqual(new Map([[64500, 'Example Telecom, Inc.'], [64501, 'LLC "QUOTED" Mobile']]));
  });
});

describe('parsing extra prefixes', () => {
  it('gives the range and the prefix length', () => {
    expect(parsePrefix('10.0.0.0/8')).toEqual({ family: 4, start: 167772160, end: 184549375, length: 8 });
    expect(parsePrefix('0.0.0.0/0')).toEqual({ family: 4, start: 0, end: 4294967295, length: 0 });
    expect(parsePrefix('2001:db8::/32')).toMatchObject({ family: 6, start: 0x20010db8n << 96n, end: ((0x20010db8n + 1n) << 96n) - 1n, length: 32 });
  });

  it('rejects host bits, bad lengths and non-decimal IPv4 forms', () => {
    expect(parsePrefix('10.0.0.1/24')).toMatch(/host bits set for a \/24/);
    expect(parsePrefix('2001:db8::1/64')).toMatch(/host bits set for a \/64/);
    expect(parsePrefix('10.0.0.0/33')).toMatch(/not a valid IPv4 prefix/);
    expect(parsePrefix('10.0.0.0')).toMatch(/not a CIDR prefix/);
    expect(parsePrefix('0x0a.0.0.0/8')).toMatch(/not a valid IPv4 prefix/);
    expect(parsePrefix('10.1/16')).toMatch(/not a valid IPv4 prefix/);
  });

  it('reports every malformed line as file:line', () => {
    const problems: string[] = [];
    const result = readExtraPrefixes({ name: 'extra-bad.tsv', text: readFileSync(fixture('extra-bad.tsv'), 'utf8') }, problems);
    expect(problems).toEqual([
      'extra-bad.tsv:2: "10.0.0.1/24": the address has host bits set for a /24',
      'extra-bad.tsv:3: "10.0.0.0/33" is not a valid IPv4 prefix',
      'extra-bad.tsv:4: "not-a-prefix" is not a CIDR prefix (address/length)',
      'extra-bad.tsv:5: asn "0" is not an integer from 1 to 4294967295',
      'extra-bad.tsv:6: expected "prefix<TAB>asn", found 1 tab-separated column(s)',
      'extra-bad.tsv:7: "2001:db8::1/32": the address has host bits set for a /32',
      'extra-bad.tsv:8: "010.0.0.0/24" is not a valid IPv4 prefix',
      'extra-bad.tsv:9: expected "prefix<TAB>asn", found 3 tab-separated column(s)',
    ]);
    expect(result.prefixes).toBe(1);
  });
});

describe('paintRanges', () => {
  const all = (): boolean => true;
  const iv = (start: number, end: number, asn: number, priority = 0): Interval<number> => ({ start, end, asn, priority });

  it('merges adjacent ranges of the same ASN, not ranges with a gap', () => {
    const segments = paintRanges([iv(0, 9, 1), iv(10, 19, 1), iv(21, 30, 1), iv(31, 40, 2)], all, V4_OPS);
    expect(segments).toEqual([
      { start: 0, end: 19, asn: 1 },
      { start: 21, end: 30, asn: 1 },
      { start: 31, end: 40, asn: 2 },
    ]);
  });

  it('lets the higher priority win, then the later input', () => {
    const segments = paintRanges([iv(0, 99, 1, 0), iv(10, 19, 2, 25), iv(12, 13, 3, 33), iv(15, 19, 4, 25)], all, V4_OPS);
    expect(segments).toEqual([
      { start: 0, end: 9, asn: 1 },
      { start: 10, end: 11, asn: 2 },
      { start: 12, end: 13, asn: 3 },
      { start: 14, end: 14, asn: 2 },
      { start: 15, end: 19, asn: 4 },
      { start: 20, end: 99, asn: 1 },
    ]);
  });

  it('drops segments whose winner is not kept, so a non-curated prefix carves space out', () => {
    const segments = paintRanges([iv(0, 99, 1, 0), iv(40, 59, 9, 25)], (asn) => asn === 1, V4_OPS);
    expect(segments).toEqual([
      { start: 0, end: 39, asn: 1 },
      { start: 60, end: 99, asn: 1 },
    ]);
  });

  it('handles the ends of the address space and 128-bit IPv6', () => {
    expect(paintRanges([iv(0, 0xffffffff, 7)], all, V4_OPS)).toEqual([{ start: 0, end: 0xffffffff, asn: 7 }]);
    const top = (1n << 128n) - 1n;
    const segments = paintRanges<bigint>([{ start: 0n, end: top, asn: 1, priority: 1 }, { start: top, end: top, asn: 2, priority: 129 }], all, V6_OPS);
    expect(segments).toEqual([
      { start: 0n, end: top - 1n, asn: 1 },
      { start: top, end: top, asn: 2 },
    ]);
    expect(paintRanges([], all, V4_OPS)).toEqual([]);
  });
});

describe('build-data on the fixtures', () => {
  it('merges adjacent package rows and records orgs, versions and totals', async () => {
    const out = tempDir();
    const result = await run(['--out', out]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const { table, meta } = readOutput(out);
    expect(rangesOf(table, 4)).toEqual([
      { start: v4('10.0.0.0'), end: v4('10.0.1.255'), asn: 64500 },
      { start: v4('10.0.3.0'), end: v4('10.0.3.255'), asn: 64500 },
      { start: v4('10.0.4.0'), end: v4('10.0.4.255'), asn: 64501 },
      { start: v4('10.1.0.0'), end: v4('10.1.255.255'), asn: 64502 },
    ]);
    expect(rangesOf(table, 6).map((r) => r.asn)).toEqual([64502, 64501]);
    expect(meta.source).toEqual({ package: '@ip-location-db/asn', version: '2.3.2026010203', dataDate: '2026-01-02', licence: 'CC BY 4.0' });
    expect(meta.totals).toEqual({ v4Ranges: 4, v4Addresses: 512 + 256 + 256 + 65536, v6Ranges: 2, v6Addresses: String(3n << 96n) });
    expect(meta.asns['64500']).toEqual({ operatorId: 'china-telecom', confidence: 'high', v4Ranges: 2, v4Addresses: 768, v6Ranges: 0, v6Addresses: '0', orgInData: 'Example Telecom, Inc.' });
    expect(meta.asns['64501']?.orgInData).toBe('LLC "QUOTED" Mobile');
    expect(meta.asns['64503']?.orgInData).toBeNull();
    expect(meta.asnsWithoutRanges).toEqual([64503]);
    expect(meta.attribution).toMatch(/RouteViews.*https:\/\/db-ip\.com.*NRO.*CC BY 4\.0.*filtered.*merged/);
    expect(meta.curatedListSha256).toBe(createHash('sha256').update(readFileSync(fixture('flagged', 'asns.tsv'))).digest('hex'));
  });

  it('is deterministic: a second run writes byte-identical files', async () => {
    const a = tempDir();
    const b = tempDir();
    expect((await run(['--out', a])).code).toBe(0);
    expect((await run(['--out', b])).code).toBe(0);
    for (const file of ['ip-table.bin', 'ip-table-meta.json']) expect(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), file).toBe(true);
  });

  it('lets extra prefixes carve out and re-flag package space', async () => {
    const out = tempDir();
    const result = await run(['--out', out, '--extra', fixture('extra-carve.tsv')]);
    expect(result.err).toBe('');
    const { table, meta } = readOutput(out);
    expect(rangesOf(table, 4)).toEqual([
      // 10.0.2.0/24 (flagged extra) fills the look-alike's gap, so 64500's ranges merge.
      { start: v4('10.0.0.0'), end: v4('10.0.3.255'), asn: 64500 },
      { start: v4('10.0.4.0'), end: v4('10.0.4.255'), asn: 64501 },
      // The non-flagged 10.1.2.0/24 carves a hole in 64502's package /16.
      { start: v4('10.1.0.0'), end: v4('10.1.1.255'), asn: 64502 },
      { start: v4('10.1.3.0'), end: v4('10.1.255.255'), asn: 64502 },
      // A more specific flagged /24 inside a non-flagged /16 wins.
      { start: v4('192.168.1.0'), end: v4('192.168.1.255'), asn: 64501 },
    ]);
    const v6 = rangesOf(table, 6);
    const hole = 0x20010db80001n << 80n;
    expect(v6[0]).toEqual({ start: 0x20010db8n << 96n, end: hole - 1n, asn: 64502 });
    expect(v6[1]?.start).toBe(hole + (1n << 80n));
    expect(meta.extraInputs).toEqual([
      { file: 'extra-carve.tsv', sha256: createHash('sha256').update(readFileSync(fixture('extra-carve.tsv'))).digest('hex'), prefixes: 5 },
    ]);
  });

  it('--check passes on a fresh build and fails when a committed file differs', async () => {
    const out = tempDir();
    expect((await run(['--out', out])).code).toBe(0);
    const ok = await run(['--out', out, '--check']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/matches a fresh build/);

    const metaPath = join(out, 'ip-table-meta.json');
    writeFileSync(metaPath, readFileSync(metaPath, 'utf8').replace('"v4Ranges": 4', '"v4Ranges": 5'));
    const stale = await run(['--out', out, '--check']);
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/not reproducible[\s\S]*ip-table-meta\.json differs from a fresh build/);

    rmSync(join(out, 'ip-table.bin'));
    expect((await run(['--out', out, '--check'])).err).toMatch(/ip-table\.bin is missing/);
  });
});

describe('build-data guards (nothing is written when one fires)', () => {
  it('refuses a high-confidence ASN without ranges', async () => {
    const flagged = tempDir();
    cpSync(fixture('flagged'), flagged, { recursive: true });
    const asns = join(flagged, 'asns.tsv');
    writeFileSync(asns, readFileSync(asns, 'utf8').replace('64503\tchina-unicom\t\tmedium', '64503\tchina-unicom\t\thigh'));
    const out = tempDir();
    const result = await run(['--out', out], { flagged });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/1 high-confidence ASN\(s\) have no ranges in the data: AS64503 \(Example Unicom spare\)/);
    expect(result.err).toMatch(/Nothing was written/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses a table more than 10% smaller than the committed one, unless --allow-shrink', async () => {
    const out = tempDir();
    expect((await run(['--out', out])).code).toBe(0);
    const metaPath = join(out, 'ip-table-meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as IpTableMeta;
    meta.totals.v4Ranges = 5; // committed 5, new 4: -20%
    const committedMeta = `${JSON.stringify(meta, null, 2)}\n`;
    writeFileSync(metaPath, committedMeta);
    const tableBefore = readFileSync(join(out, 'ip-table.bin'));

    const refused = await run(['--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/shrink by more than 10%: IPv4 ranges 5 -> 4 \(-20\.0%\)/);
    expect(readFileSync(metaPath, 'utf8')).toBe(committedMeta);
    expect(readFileSync(join(out, 'ip-table.bin')).equals(tableBefore)).toBe(true);

    expect((await run(['--out', out, '--allow-shrink'])).code).toBe(0);
    expect(readOutput(out).meta.totals.v4Ranges).toBe(4);
  });

  it('compares IPv6 address counts exactly and lets a 10% drop pass', () => {
    const base = { v4Ranges: 100, v4Addresses: 1000, v6Ranges: 10, v6Addresses: (10n ** 33n).toString() };
    expect(checkShrink(base, { ...base, v4Ranges: 90 })).toEqual([]);
    expect(checkShrink(base, { ...base, v4Addresses: 899 })).toHaveLength(1);
    expect(checkShrink(base, { ...base, v6Addresses: (10n ** 33n - 10n ** 32n - 1n).toString() })[0]).toMatch(/IPv6 addresses/);
    expect(checkShrink(base, { ...base, v6Ranges: 20 })).toEqual([]);
  });

  it('reports every malformed line of the CSVs and extra files as FILE:LINE and writes nothing', async () => {
    const out = tempDir();
    const result = await run(['--out', out, '--extra', fixture('extra-bad.tsv')], { pkg: fixture('pkg-bad') });
    expect(result.code).toBe(1);
    const lines = result.err.split('\n').map((l) => l.trim());
    const v4File = lines.find((l) => l.includes('asn-ipv4-num.csv:2:'))!.split(':2:')[0];
    expect(lines).toEqual(
      expect.arrayContaining([
        `${v4File}:2: org is not a valid CSV field (unbalanced quotes or an extra column)`,
        `${v4File}:3: end "abc" is not a decimal number`,
        `${v4File}:4: end is before start`,
        `${v4File}:5: asn "0" is not an integer from 1 to 4294967295`,
        `${v4File}:6: address number out of range`,
        `${v4File}:7: expected 4 comma-separated columns: start,end,asn,org`,
        expect.stringMatching(/asn-ipv6-num\.csv:2: address number out of range$/),
        expect.stringMatching(/extra-bad\.tsv:2: "10\.0\.0\.1\/24": the address has host bits set for a \/24$/),
        expect.stringMatching(/extra-bad\.tsv:9: expected "prefix<TAB>asn", found 3 tab-separated column\(s\)$/),
      ]),
    );
    expect(result.err).toMatch(/^build-data: 15 malformed input line\(s\):/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses a curated list that does not parse', async () => {
    const flagged = tempDir();
    cpSync(fixture('flagged'), flagged, { recursive: true });
    writeFileSync(join(flagged, 'asns.tsv'), `${readFileSync(join(flagged, 'asns.tsv'), 'utf8')}64510\tchina-telecom\t\thgh\tLook-alike\t\tx\n`);
    const result = await run(['--out', tempDir()], { flagged });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/the curated list does not parse:\n\s+asns\.tsv:7: AS64510 is a look-alike in lookalikes\.tsv and must not be flagged\n\s+asns\.tsv:7: confidence "hgh" is not high, medium or low/);
  });

  it('rejects unknown arguments with the usage', async () => {
    const result = await run(['--bogus']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/unknown argument "--bogus"[\s\S]*Usage:/);
    expect(dataDateOf('2.3.2026061719')).toBe('2026-06-17');
    expect(dataDateOf('1.0.0')).toBeUndefined();
  });
});

describe('the committed table (src/data/generated)', () => {
  const generated = join(root, 'src', 'data', 'generated');
  const flaggedDir = join(root, 'data', 'flagged');
  const { table, meta } = readOutput(generated);
  const list = parseFlaggedList({
    operatorsJson: readFileSync(join(flaggedDir, 'operators.json'), 'utf8'),
    asnsTsv: readFileSync(join(flaggedDir, 'asns.tsv'), 'utf8'),
    domainsTsv: readFileSync(join(flaggedDir, 'domains.tsv'), 'utf8'),
    lookalikesTsv: readFileSync(join(flaggedDir, 'lookalikes.tsv'), 'utf8'),
  });

  it('decodes, and its meta totals agree with it', () => {
    const v4Ranges = rangesOf(table, 4);
    const v6Ranges = rangesOf(table, 6);
    expect(meta.totals.v4Ranges).toBe(v4Ranges.length);
    expect(meta.totals.v6Ranges).toBe(v6Ranges.length);
    expect(meta.totals.v4Addresses).toBe(Number(v4Ranges.reduce((sum, r) => sum + r.end - r.start + 1n, 0n)));
    expect(meta.totals.v6Addresses).toBe(v6Ranges.reduce((sum, r) => sum + r.end - r.start + 1n, 0n).toString());
    for (const [asn, m] of Object.entries(meta.asns)) {
      expect(m.v4Ranges, `AS${asn}`).toBe(v4Ranges.filter((r) => r.asn === Number(asn)).length);
      expect(m.v6Ranges, `AS${asn}`).toBe(v6Ranges.filter((r) => r.asn === Number(asn)).length);
    }
    // Adjacent ranges of one ASN were merged.
    for (const ranges of [v4Ranges, v6Ranges]) {
      for (let i = 1; i < ranges.length; i++) {
        const touching = ranges[i - 1]!.end + 1n === ranges[i]!.start;
        expect(touching && ranges[i - 1]!.asn === ranges[i]!.asn).toBe(false);
      }
    }
  });

  it('was built from the current asns.tsv and holds only curated ASNs', () => {
    const asnsTsv = readFileSync(join(flaggedDir, 'asns.tsv'));
    expect(meta.curatedListSha256, 'asns.tsv changed: run `npm run data`').toBe(createHash('sha256').update(asnsTsv).digest('hex'));
    const curated = new Set(list.asns.map((a) => a.asn));
    expect([...table.asnByIndex].every((asn) => curated.has(asn))).toBe(true);
    expect(Object.keys(meta.asns).map(Number)).toEqual([...curated].sort((a, b) => a - b));
    for (const entry of list.asns) {
      expect(meta.asns[String(entry.asn)]?.confidence).toBe(entry.confidence);
      if (entry.confidence === 'high') expect(meta.asnsWithoutRanges, `AS${entry.asn}`).not.toContain(entry.asn);
    }
  });

  it('finds well-known operator addresses', () => {
    expect(table.lookupV4(Number(v4('202.97.0.1')))).toBe(4134); // CHINANET backbone
    expect(table.lookupV4(Number(v4('8.8.8.8')))).toBe(0);
    expect(existsSync(join(generated, 'ip-table.bin'))).toBe(true);
  });
});

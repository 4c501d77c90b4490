import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IpTable } from '../src/engine/ip-table.ts';
import { writeMrt, type MrtDump } from '../tests/fixtures/mrt/write-mrt.ts';
import type { IpTableMeta } from './lib/build-ip-data.ts';
import { RibAggregator } from './lib/read-rib.ts';
import { runBuildData, type CliIo } from './lib/run-build-data.ts';

// `npm run data -- --rib`: small MRT dumps written by tests/fixtures/mrt/write-mrt.ts,
// read through the real bgpdump (Debian's package; .ci/run installs it), on
// the package fixtures of tests/fixtures/data (ASNs 64500-64503 flagged,
// 64510 a look-alike, 64999 another network).

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (...parts: string[]): string => join(root, 'tests', 'fixtures', 'data', ...parts);

const scratch: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'carrier-watch-rib-'));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines = { out: [] as string[], err: [] as string[] };
  const io: CliIo = { log: (m) => lines.out.push(m), error: (m) => lines.err.push(m) };
  // The BGP layer goes beside the table, never into the fixtures.
  const out = args[args.indexOf('--out') + 1];
  const origins = args.includes('--out') && !args.includes('--origins') ? ['--origins', join(out!, 'origins.tsv')] : [];
  const code = await runBuildData(['--flagged', fixture('flagged'), '--package', fixture('pkg'), ...origins, ...args], io);
  return { code, out: lines.out.join('\n'), err: lines.err.join('\n') };
}

const v4 = (text: string): bigint => BigInt(text.split('.').reduce((a, o) => a * 256 + Number(o), 0));
const TIME = Date.UTC(2026, 11, 1) / 1000;

/** Three peers (one IPv6, one with a 4-byte ASN) and the cases the issue names. */
const DUMP: MrtDump = {
  time: TIME,
  peers: [
    { ip: '198.51.100.1', asn: 64496 },
    { ip: '2001:db8:ffff::1', asn: 4200000001 },
    { ip: '203.0.113.1', asn: 64497 },
  ],
  ribs: [
    // Announcement over registration: the package gives 192.168.0.0/16 to 64999; flagged 64500 announces a /24 of it.
    { prefix: '192.168.5.0/24', routes: [{ peer: 0, path: [64496, 64500] }, { peer: 1, path: [4200000001, 3356, 64500] }] },
    // A more specific carve-out: 64999 announces a /24 inside 64502's registered /16.
    { prefix: '10.1.2.0/24', routes: [{ peer: 0, path: [64496, 64999] }] },
    // AS_SET origin: skipped and counted; the package still decides there.
    { prefix: '10.0.4.0/24', routes: [{ peer: 0, path: [64496], asSet: [64501, 64999] }] },
    // Multi-origin: two peers see 64501, one sees 64500 (the package's label): 64501 wins.
    {
      prefix: '10.0.3.0/24',
      routes: [
        { peer: 0, path: [64496, 64500] },
        { peer: 1, path: [4200000001, 64501] },
        { peer: 2, path: [64497, 174, 64501] },
      ],
    },
    // A tie: one peer each; the lowest AS number (64501) wins.
    { prefix: '10.9.0.0/24', routes: [{ peer: 0, path: [64496, 64502] }, { peer: 2, path: [64497, 64501] }] },
    // IPv6 announced by a flagged AS outside any registered range (like AS4134's 2a04:f580:8010::/47).
    { prefix: '2a04:f580:8010::/47', routes: [{ peer: 1, path: [4200000001, 6939, 64500] }] },
    // A 4-byte origin that is not flagged carves an IPv6 /48 out of 64502's /32.
    { prefix: '2001:db8:1::/48', routes: [{ peer: 1, path: [4200000001, 4200000002] }] },
    // Far from any flagged space: read, but not kept in the committed BGP layer.
    { prefix: '172.16.0.0/12', routes: [{ peer: 2, path: [64497, 64999] }] },
  ],
};

function writeDump(dir: string, name: string, bytes: Buffer = writeMrt(DUMP)): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A committed table built from the package alone, as the baseline. */
async function committed(): Promise<string> {
  const out = tempDir();
  const result = await run(['--out', out]);
  expect(result.err).toBe('');
  return out;
}

function readOutput(dir: string): { table: IpTable; meta: IpTableMeta } {
  return { table: IpTable.decode(readFileSync(join(dir, 'ip-table.bin'))), meta: JSON.parse(readFileSync(join(dir, 'ip-table-meta.json'), 'utf8')) as IpTableMeta };
}

const hasBzip2 = spawnSync('bzip2', ['--help']).error === undefined;

beforeAll(() => {
  const probe = spawnSync('bgpdump', ['-T']);
  if (probe.error !== undefined) {
    throw new Error(`bgpdump is not installed (${probe.error.message}): these tests need Debian's bgpdump package (apt-get install bgpdump; .ci/run installs it)`);
  }
});

describe('RibAggregator (one bgpdump -m line at a time)', () => {
  it('takes the last AS of the path as origin and counts AS_SET origins, empty paths and default routes', () => {
    const rib = new RibAggregator();
    expect(rib.addLine('TABLE_DUMP2|1|B|192.0.2.1|64496|10.0.0.0/8|64496 64500|IGP|192.0.2.1|0|0||NAG||')).toBeUndefined();
    expect(rib.addLine('TABLE_DUMP2|1|B|192.0.2.1|64496|10.1.0.0/16|64496 {64500,64501}|IGP|192.0.2.1|0|0||NAG||')).toBeUndefined();
    expect(rib.addLine('TABLE_DUMP2|1|B|192.0.2.1|64496|10.2.0.0/16||IGP|192.0.2.1|0|0||NAG||')).toBeUndefined();
    expect(rib.addLine('TABLE_DUMP2|1|B|192.0.2.1|64496|0.0.0.0/0|64496|IGP|192.0.2.1|0|0||NAG||')).toBeUndefined();
    expect([rib.entries, rib.prefixCount, rib.asSetOrigins, rib.emptyPaths, rib.defaultRoutes]).toEqual([4, 1, 1, 1, 1]);
    expect(rib.intervals().v4).toEqual([{ start: 167772160, end: 184549375, asn: 64500, priority: 9 }]);
  });

  it('says why a line does not parse', () => {
    const rib = new RibAggregator();
    expect(rib.addLine('BGP4MP|1|A|192.0.2.1|64496|10.0.0.0/8|64496|IGP|192.0.2.1|0|0||NAG||')).toMatch(/"BGP4MP" is not a RIB entry .*updates file/);
    expect(rib.addLine('hello')).toMatch(/found 1 field/);
    expect(rib.addLine('TABLE_DUMP2|1|B|192.0.2.1|64496|10.0.0.1/8|64496|IGP|x|0|0||NAG||')).toMatch(/host bits set/);
    expect(rib.addLine('TABLE_DUMP2|1|B|192.0.2.1|64496|10.0.0.0/8|64496 (65000)|IGP|x|0|0||NAG||')).toMatch(/does not end in an AS number/);
  });
});

describe('npm run data -- --rib (through the real bgpdump)', () => {
  it('lets BGP decide where it announces and the package fill the rest, and reports the changes', async () => {
    const base = await committed();
    const ribs = tempDir();
    const reportPath = join(ribs, 'report.json');
    const result = await run(['--out', base, '--report-json', reportPath, '--rib', writeDump(ribs, 'rib.20261201.0000')]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);

    const { table, meta } = readOutput(base);
    expect([...table.ranges(4)]).toEqual([
      { start: v4('10.0.0.0'), end: v4('10.0.1.255'), asn: 64500 },
      // 10.0.3.0/24: most peers see 64501, which merges with the package's 10.0.4.0/24 (its AS_SET announcement was skipped).
      { start: v4('10.0.3.0'), end: v4('10.0.4.255'), asn: 64501 },
      // 10.1.2.0/24 carved out by 64999.
      { start: v4('10.1.0.0'), end: v4('10.1.1.255'), asn: 64502 },
      { start: v4('10.1.3.0'), end: v4('10.1.255.255'), asn: 64502 },
      // The tie goes to the lowest AS number.
      { start: v4('10.9.0.0'), end: v4('10.9.0.255'), asn: 64501 },
      // Announced by 64500 inside 64999's registered /16.
      { start: v4('192.168.5.0'), end: v4('192.168.5.255'), asn: 64500 },
    ]);
    const v6 = [...table.ranges(6)];
    const db8 = 0x20010db8n << 96n;
    expect(v6).toEqual([
      { start: db8, end: db8 + (1n << 80n) - 1n, asn: 64502 },
      { start: db8 + (2n << 80n), end: db8 + (2n << 96n) - 1n, asn: 64502 },
      { start: db8 + (2n << 96n), end: db8 + (3n << 96n) - 1n, asn: 64501 },
      { start: 0x2a04f5808010n << 80n, end: (0x2a04f5808012n << 80n) - 1n, asn: 64500 },
    ]);

    expect(meta.bgp).toMatchObject({ entries: 12, prefixes: 7, asSetOrigins: 1, emptyPaths: 0, defaultRoutes: 0, multiOrigin: 2, ties: 1 });
    expect(meta.bgp?.files).toEqual([
      { file: expect.stringMatching(/rib\.20261201\.0000$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), dumpTime: '2026-12-01T00:00:00Z', entries: 12 },
    ]);
    expect(meta.attribution).toMatch(/^BGP origins from the RIB dumps .*routeviews.*ris\.ripe\.net.*fills only the space no BGP announcement covers\.$/);

    expect(result.out).toMatch(/read 1 RIB dump\(s\) with bgpdump: 12 entries, 7 prefixes \(5 IPv4, 2 IPv6\)/);
    expect(result.out).toMatch(/skipped: 1 entries with an AS_SET origin/);
    expect(result.out).toMatch(/2 prefixes with more than one origin: the origin most peers see wins; 1 were ties, won by the lowest AS number/);
    expect(result.out).toMatch(/added\s+192\.168\.5\.0\/24: not flagged -> AS64500 \(china-telecom\)/);
    expect(result.out).toMatch(/removed\s+10\.1\.2\.0\/24: AS64502 \(china-unicom\) -> not flagged/);
    expect(result.out).toMatch(/relabelled\s+10\.0\.3\.0\/24: AS64500 \(china-telecom\) -> AS64501 \(china-mobile\)/);
    expect(result.out).toMatch(/added\s+2a04:f580:8010::\/47: not flagged -> AS64500/);

    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { changes: { v4: { operators: Record<string, unknown>; totals: Record<string, unknown> } } };
    expect(report.changes.v4.totals).toEqual({
      added: { ranges: 2, addresses: '512' },
      removed: { ranges: 1, addresses: '256' },
      relabelledAsn: { ranges: 0, addresses: '0' },
      relabelledOperator: { ranges: 1, addresses: '256' },
    });
    expect(report.changes.v4.operators['china-mobile']).toMatchObject({ added: { ranges: 1, addresses: '256' }, relabelledIn: { ranges: 1, addresses: '256' } });
    expect(report.changes.v4.operators['china-telecom']).toMatchObject({ added: { ranges: 1, addresses: '256' }, relabelledOut: { ranges: 1, addresses: '256' } });
  });

  it('commits only the BGP prefixes that can change the table, and rebuilds byte-identically from them', async () => {
    const out = await committed();
    const ribs = tempDir();
    expect((await run(['--out', out, '--rib', writeDump(ribs, 'rib.mrt')])).code).toBe(0);
    const origins = readFileSync(join(out, 'origins.tsv'), 'utf8');
    expect(origins.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([
      '10.0.3.0/24\t64501',
      '10.1.2.0/24\t64999',
      '10.9.0.0/24\t64501',
      '192.168.5.0/24\t64500',
      '2001:db8:1::/48\t4200000002',
      '2a04:f580:8010::/47\t64500',
    ]);
    expect(origins).toMatch(/^# stats: \{"dataDate":"2026-12-01","files":\[/m);
    const table = readFileSync(join(out, 'ip-table.bin'));
    const meta = readFileSync(join(out, 'ip-table-meta.json'), 'utf8');

    const check = await run(['--out', out, '--check']);
    expect(check.err).toBe('');
    expect(check.code).toBe(0);
    // A run without --rib reads the layer back: same bytes, nothing changed.
    const again = await run(['--out', out]);
    expect(again.out).toMatch(/Changes against the committed table: none\./);
    expect(again.out).toMatch(/BGP of 2026-12-01 decides where it announces \(from .*origins\.tsv\); the package \(data of 2026-01-02\) fills the rest/);
    expect(readFileSync(join(out, 'ip-table.bin')).equals(table)).toBe(true);
    expect(readFileSync(join(out, 'ip-table-meta.json'), 'utf8')).toBe(meta);
  });

  it('reads .gz and .bz2 dumps (bgpdump decompresses them) to the same table', async () => {
    const ribs = tempDir();
    const plain = tempDir();
    expect((await run(['--out', plain, '--rib', writeDump(ribs, 'rib.mrt')])).code).toBe(0);
    const expected = readFileSync(join(plain, 'ip-table.bin'));

    const gz = tempDir();
    const gzResult = await run(['--out', gz, '--rib', writeDump(ribs, 'rib.mrt.gz', gzipSync(writeMrt(DUMP)))]);
    expect(gzResult.err).toBe('');
    expect(readFileSync(join(gz, 'ip-table.bin')).equals(expected)).toBe(true);

    if (!hasBzip2) {
      console.warn('bzip2 is not installed: the .bz2 case is skipped (apt-get install bzip2)');
      return;
    }
    const bz2Path = join(ribs, 'rib.mrt');
    expect(spawnSync('bzip2', ['-k', '-f', bz2Path]).status).toBe(0);
    const bz2 = tempDir();
    const bz2Result = await run(['--out', bz2, '--rib', `${bz2Path}.bz2`]);
    expect(bz2Result.err).toBe('');
    expect(readFileSync(join(bz2, 'ip-table.bin')).equals(expected)).toBe(true);
  });

  it('adds up the peers of several dumps (RouteViews and RIS) before choosing an origin', async () => {
    const ribs = tempDir();
    const one = (peer: number, origin: number): Buffer =>
      writeMrt({ time: TIME, peers: DUMP.peers, ribs: [{ prefix: '10.0.0.0/24', routes: [{ peer, path: [DUMP.peers[peer]!.asn, origin] }] }] });
    // Each file alone is a tie (or a single peer); together 64500 has two peers against one.
    const out = await committed();
    const result = await run(['--out', out, '--rib', writeDump(ribs, 'a.mrt', one(0, 64999)), writeDump(ribs, 'b.mrt', one(1, 64500)), '--rib', writeDump(ribs, 'c.mrt', one(2, 64500))]);
    expect(result.err).toBe('');
    expect(readOutput(out).meta.bgp?.files.map((f) => f.entries)).toEqual([1, 1, 1]);
    expect([...readOutput(out).table.ranges(4)][0]).toEqual({ start: v4('10.0.0.0'), end: v4('10.0.1.255'), asn: 64500 });
  });

  it('rejects malformed MRT input with "file: reason" and writes nothing', async () => {
    const out = await committed();
    const before = readdirSync(out).map((f) => [f, statSync(join(out, f)).mtimeMs] as const);
    const ribs = tempDir();
    const good = writeDump(ribs, 'good.mrt');
    const full = writeMrt(DUMP);
    const cases: [string, Buffer, RegExp][] = [
      ['truncated.mrt', full.subarray(0, full.length - 7), /truncated\.mrt: not a readable MRT file: \[error\] bgpdump_read_next: incomplete dump record/],
      ['text.mrt', Buffer.from('this is not an MRT file\n'.repeat(4)), /text\.mrt: not a readable MRT file: \[error\]/],
      ['empty.mrt', Buffer.alloc(0), /empty\.mrt: no RIB entries in it/],
      ['bad.gz', Buffer.from('not gzip at all'), /bad\.gz: not a readable MRT file: \[error\] bgpdump_read_next: incomplete (MRT header|dump record)/],
    ];
    for (const [name, bytes, reason] of cases) {
      const result = await run(['--out', out, '--rib', good, writeDump(ribs, name, bytes)]);
      expect(result.code, name).toBe(1);
      expect(result.err, name).toMatch(reason);
      expect(result.err, name).toMatch(/Nothing was written\.$/);
    }
    const missing = await run(['--out', out, '--rib', join(ribs, 'nope.mrt')]);
    expect(missing.err).toMatch(/nope\.mrt: cannot read it \(ENOENT/);
    expect(readdirSync(out).map((f) => [f, statSync(join(out, f)).mtimeMs] as const)).toEqual(before);
  });

  it('names the Debian package when bgpdump is missing', async () => {
    const out = tempDir();
    const ribs = tempDir();
    const result = await run(['--out', out, '--bgpdump', join(ribs, 'no-bgpdump-here'), '--rib', writeDump(ribs, 'rib.mrt')]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/rib\.mrt: cannot run ".*no-bgpdump-here": it is not installed\. Install Debian's bgpdump package \(apt-get install bgpdump\)/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('keeps the guards: a RIB that drops most flagged space is refused unless --allow-shrink', async () => {
    const out = await committed();
    const ribs = tempDir();
    // 64999 announces all of 10.1.0.0/16 (64502's, most of the IPv4 addresses).
    const dump = writeMrt({ time: TIME, peers: DUMP.peers, ribs: [{ prefix: '10.1.0.0/16', routes: [{ peer: 0, path: [64496, 64999] }] }] });
    const refused = await run(['--out', out, '--rib', writeDump(ribs, 'rib.mrt', dump)]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/removed\s+10\.1\.0\.0\/16: AS64502 \(china-unicom\) -> not flagged/);
    expect(refused.err).toMatch(/shrink by more than 10%: IPv4 addresses/);
    const allowed = await run(['--out', out, '--allow-shrink', '--rib', join(ribs, 'rib.mrt')]);
    expect(allowed.code).toBe(0);
  });

  it('refuses an operator vanishing even with --allow-shrink', async () => {
    const out = await committed();
    const ribs = tempDir();
    // 64999 announces 10.0.4.0/24, china-mobile's only IPv4 range, and the /32 of its only IPv6 range.
    const dump = writeMrt({
      time: TIME,
      peers: DUMP.peers,
      ribs: [
        { prefix: '10.0.4.0/24', routes: [{ peer: 0, path: [64496, 64999] }] },
        { prefix: '2001:dba::/32', routes: [{ peer: 1, path: [4200000001, 64999] }] },
      ],
    });
    const result = await run(['--out', out, '--allow-shrink', '--rib', writeDump(ribs, 'rib.mrt', dump)]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/operator china-mobile had 2 range\(s\) in the committed table and has none now/);
  });

  it('still takes --extra with --rib (an extra prefix beats BGP at equal length)', async () => {
    const out = tempDir();
    const ribs = tempDir();
    const extra = join(ribs, 'extra.tsv');
    writeFileSync(extra, '10.1.2.0/24\t64502\n');
    const result = await run(['--out', out, '--rib', writeDump(ribs, 'rib.mrt'), '--extra', extra]);
    expect(result.err).toBe('');
    const ranges = [...readOutput(out).table.ranges(4)];
    expect(ranges).toContainEqual({ start: v4('10.1.0.0'), end: v4('10.1.255.255'), asn: 64502 });
    expect(readOutput(out).meta.extraInputs).toHaveLength(1);
  });

  it('asks for at least one file after --rib', async () => {
    const result = await run(['--rib', '--allow-shrink']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--rib needs at least one file/);
  });
});

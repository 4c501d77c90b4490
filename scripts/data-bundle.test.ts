import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableTotals } from '../src/data/bundle.ts';
import { encodeIpTable, IpTable } from '../src/engine/ip-table.ts';
import { parseFlaggedList } from '../src/engine/flagged-list.ts';
import { readBundleFiles } from './lib/bundle-files.ts';

// The two CLIs as a maintainer and the data workflow run them: child
// processes, exit codes and output. Every run signs with a key pair made
// here; the pinned production key's private half is never needed.

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'carrier-watch-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: 'data-bundle' | 'data-verify', args: string[]): { code: number | null; out: string; err: string } {
  const result = spawnSync('npx', ['tsx', `scripts/${script}.ts`, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const pem = (label: string, der: ArrayBuffer) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

let keyFile: string;
let jwkFile: string;
let spkiFile: string;
const files = readBundleFiles();
const dataDate = (JSON.parse(files.ipTableMeta) as { source: { dataDate: string } }).source.dataDate;

beforeAll(async () => {
  const { subtle } = globalThis.crypto;
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  keyFile = join(dir, 'test-key.pem');
  writeFileSync(keyFile, pem('PRIVATE KEY', await subtle.exportKey('pkcs8', pair.privateKey)), { mode: 0o600 });
  jwkFile = join(dir, 'test-key.jwk.json');
  writeFileSync(jwkFile, JSON.stringify(await subtle.exportKey('jwk', pair.publicKey)));
  spkiFile = join(dir, 'test-key.pub.pem');
  writeFileSync(spkiFile, pem('PUBLIC KEY', await subtle.exportKey('spki', pair.publicKey)));
});

// Each test starts a few tsx processes (~0.5 s each).
describe('data:bundle and data:verify', { timeout: 60_000 }, () => {
  it('make a bundle of the committed data that verifies, printing what it holds', () => {
    const out = join(dir, 'good');
    const made = run('data-bundle', ['--key', keyFile, '--out', out, '--allow-unpinned-key']);
    expect(made.err).toMatch(/not the pinned one/);
    expect(made.code).toBe(0);
    const name = `carrier-watch-data-${dataDate}.1.cwdata`;
    expect(readdirSync(out)).toEqual([name]);
    const sha256 = createHash('sha256').update(readFileSync(join(out, name))).digest('hex');
    expect(made.out).toContain(`sha256 ${sha256}`);
    expect(made.out).toContain(`version ${dataDate}.1, data of ${dataDate}`);

    for (const key of [jwkFile, spkiFile]) {
      const checked = run('data-verify', [join(out, name), '--public-key', key]);
      expect(checked.err).toBe('');
      expect(checked.code).toBe(0);
      expect(checked.out).toContain(`guards passed against the committed data (${dataDate}.0)`);
      expect(checked.out).toContain(`version   ${dataDate}.1`);
      expect(checked.out).toContain(`sha256    ${sha256}`);
      expect(checked.out).toMatch(/china-telecom +155 ASNs, 9866 IPv4 ranges \(127716864 addresses\), 288 IPv6 ranges \(\d+ addresses\), 14 domains/);
      expect(checked.out).toMatch(/china-mobile .* 15 domains/);
      expect(checked.out).toMatch(/china-unicom .* 20 domains/);
    }

    // The pinned key did not sign it: refused, as the extension would.
    const pinned = run('data-verify', [join(out, name)]);
    expect(pinned.code).toBe(1);
    expect(pinned.err).toMatch(/rejected \(signature\): bad signature/);
  });

  it('data:bundle refuses a key that is not the pinned one unless told, and a bad version', () => {
    const out = join(dir, 'refused');
    const unpinned = run('data-bundle', ['--key', keyFile, '--out', out]);
    expect(unpinned.code).toBe(1);
    expect(unpinned.err).toMatch(/does not match the public key pinned in src\/data\/bundle-key\.ts/);
    const badVersion = run('data-bundle', ['--key', keyFile, '--out', out, '--allow-unpinned-key', '--version', 'latest']);
    expect(badVersion.code).toBe(1);
    expect(badVersion.err).toMatch(/--version latest is not YYYY-MM-DD\.N/);
    const otherDate = run('data-bundle', ['--key', keyFile, '--out', out, '--allow-unpinned-key', '--version', '2027-01-01.1']);
    expect(otherDate.code).toBe(1);
    expect(otherDate.err).toMatch(/but the table's data date is/);
    const noKey = run('data-bundle', ['--key', join(dir, 'missing.pem'), '--out', out]);
    expect(noKey.code).toBe(1);
    expect(noKey.err).toMatch(/cannot read the private key/);
    expect(() => readdirSync(out)).toThrow();
  });

  it('data:verify exits 1 with the reason for a truncated, tampered or older bundle', () => {
    const out = join(dir, 'bad');
    expect(run('data-bundle', ['--key', keyFile, '--out', out, '--allow-unpinned-key', '--version', `${dataDate}.0`]).code).toBe(0);
    const file = join(out, `carrier-watch-data-${dataDate}.0.cwdata`);
    const older = run('data-verify', [file, '--public-key', jwkFile]);
    expect(older.code).toBe(1);
    expect(older.err).toContain(`rejected (version): version ${dataDate}.0 is not newer than the bundled data (${dataDate}.0)`);
    // --no-guards checks the file alone.
    expect(run('data-verify', [file, '--public-key', jwkFile, '--no-guards']).code).toBe(0);

    const bytes = readFileSync(file);
    writeFileSync(join(out, 'truncated.cwdata'), bytes.subarray(0, bytes.byteLength - 100));
    const truncated = run('data-verify', [join(out, 'truncated.cwdata'), '--public-key', jwkFile]);
    expect(truncated.code).toBe(1);
    expect(truncated.err).toMatch(/rejected \(container\): the file is truncated/);

    const tampered = Buffer.from(bytes);
    tampered[1000]! ^= 0xff;
    writeFileSync(join(out, 'tampered.cwdata'), tampered);
    const bad = run('data-verify', [join(out, 'tampered.cwdata'), '--public-key', jwkFile]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/rejected \(signature\)/);

    const missing = run('data-verify', [join(out, 'nothing.cwdata')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read/);
  });

  it('data:verify refuses a bundle that drops an operator', () => {
    // A copy of the data without China Mobile: its domains and its ranges.
    const flagged = join(dir, 'flagged');
    const generated = join(dir, 'generated');
    cpSync(join(root, 'data', 'flagged'), flagged, { recursive: true });
    cpSync(join(root, 'src', 'data', 'generated'), generated, { recursive: true });
    const domains = files.domainsTsv.split('\n').filter((line) => line.split('\t')[1] !== 'china-mobile');
    writeFileSync(join(flagged, 'domains.tsv'), domains.join('\n'));
    const list = parseFlaggedList(files);
    const mobile = new Set(list.asns.filter((a) => a.operatorId === 'china-mobile').map((a) => a.asn));
    const table = IpTable.decode(files.ipTable);
    const bin = encodeIpTable([...table.ranges(4)].filter((r) => !mobile.has(r.asn)), [...table.ranges(6)].filter((r) => !mobile.has(r.asn)));
    writeFileSync(join(generated, 'ip-table.bin'), bin);
    const meta = JSON.parse(files.ipTableMeta) as Record<string, unknown>;
    meta.totals = tableTotals(IpTable.decode(bin));
    writeFileSync(join(generated, 'ip-table-meta.json'), JSON.stringify(meta, null, 2));

    const out = join(dir, 'dropped');
    expect(run('data-bundle', ['--key', keyFile, '--out', out, '--allow-unpinned-key', '--flagged', flagged, '--generated', generated]).code).toBe(0);
    const result = run('data-verify', [join(out, `carrier-watch-data-${dataDate}.1.cwdata`), '--public-key', jwkFile]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('rejected (vanished): operator(s) china-mobile would have no ranges and no domains left');
  });
});

describe('data:keygen', () => {
  function keygen(args: string[]): { code: number | null; out: string; err: string } {
    const result = spawnSync('npx', ['tsx', 'scripts/data-keygen.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    return { code: result.status, out: result.stdout, err: result.stderr };
  }

  it('writes a private key outside the repository (0600) that data:bundle signs with, and pins its public half', async () => {
    const key = join(dir, 'new-key.pem');
    const pinFile = join(dir, 'bundle-key.ts');
    cpSync(join(root, 'src/data/bundle-key.ts'), pinFile);
    const made = keygen(['--out', key, '--pin-file', pinFile]);
    expect(made.code, made.err).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const jwk = JSON.parse(/public key \(JWK\): (.+)/.exec(made.out)![1]!) as JsonWebKey;
    const fingerprint = /fingerprint \(SHA-256 of the SPKI\): ([0-9a-f]{64})/.exec(made.out)![1]!;
    const pinned = readFileSync(pinFile, 'utf8');
    expect(pinned).toContain(`x: '${jwk.x}'`);
    expect(pinned).toContain(`y: '${jwk.y}'`);
    expect(pinned).toContain(`DATA_BUNDLE_KEY_FINGERPRINT = '${fingerprint}'`);
    // The pinned SPKI line hashes to the fingerprint it states.
    const spki = /^\/\/ {3}([A-Za-z0-9+/=]{80,})$/m.exec(pinned)![1]!;
    expect(createHash('sha256').update(Buffer.from(spki, 'base64')).digest('hex')).toBe(fingerprint);
    // The key signs bundles that verify against the printed public key.
    const out = join(dir, 'keygen-out');
    expect(run('data-bundle', ['--key', key, '--out', out, '--allow-unpinned-key']).code).toBe(0);
    const bundle = join(out, readdirSync(out)[0]!);
    writeFileSync(join(dir, 'new-key.jwk.json'), JSON.stringify(jwk));
    expect(run('data-verify', [bundle, '--public-key', join(dir, 'new-key.jwk.json'), '--no-guards']).code).toBe(0);
  });

  it('refuses to overwrite a key or to write one inside the repository', () => {
    const existing = join(dir, 'exists.pem');
    writeFileSync(existing, 'keep me');
    const again = keygen(['--out', existing]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/exists; not overwriting a key/);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    const inside = keygen(['--out', join(root, 'oops.pem')]);
    expect(inside.code).toBe(1);
    expect(inside.err).toMatch(/inside the repository/);
    expect(existsSync(join(root, 'oops.pem'))).toBe(false);
  });
});

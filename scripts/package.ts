// npm run package: the release files, in release/ (gitignored):
//   carrier-watch-<version>-chrome.zip   dist/chrome, for the Chrome Web Store
//   carrier-watch-<version>-firefox.zip  dist/firefox, for addons.mozilla.org
//   carrier-watch-<version>-source.zip   the sources AMO reviewers rebuild from (REVIEWERS.md)
// The npm script builds and lints first; this only zips. Zips are
// reproducible: files sorted, one fixed timestamp (SOURCE_DATE_EPOCH, else
// the last commit's time), fixed compression, so the same tree gives the same
// bytes and the printed SHA-256 can be checked by anyone.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync, type Zippable } from 'fflate';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT_DIR = path.join(ROOT, 'release');

/** Never in the source zip even if a .gitignore is missing: outputs, installs, local state. */
const NEVER_IN_SOURCE = /^(?:node_modules|dist|release|test-results|\.tmp|\.e2e-profiles|web-ext-artifacts)(?:\/|$)|\.zip$/;

export interface ZipEntry {
  /** Path inside the zip, with forward slashes. */
  name: string;
  data: Uint8Array;
  executable: boolean;
}

/**
 * A zip with the same bytes for the same entries: sorted names, one
 * timestamp, Unix modes 0644/0755. The DOS time fields are local-time fields,
 * so the date is built from UTC parts: the result does not depend on TZ.
 */
export function deterministicZip(entries: readonly ZipEntry[], epochSeconds: number): Uint8Array {
  const utc = new Date(Math.max(epochSeconds, 315_532_800) * 1000); // zip dates start in 1980
  const mtime = new Date(utc.getUTCFullYear(), utc.getUTCMonth(), utc.getUTCDate(), utc.getUTCHours(), utc.getUTCMinutes(), utc.getUTCSeconds());
  const files: Zippable = {};
  for (const entry of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name in files) throw new Error(`duplicate zip entry ${entry.name}`);
    files[entry.name] = [entry.data, { mtime, level: 9, os: 3, attrs: (entry.executable ? 0o100755 : 0o100644) << 16 }];
  }
  return zipSync(files);
}

function readEntry(base: string, rel: string): ZipEntry {
  const file = path.join(base, rel);
  return { name: rel.split(path.sep).join('/'), data: readFileSync(file), executable: (statSync(file).mode & 0o111) !== 0 };
}

/** Every file under `dir`, relative to it. */
export function listTree(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((d) => {
    const child = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) return listTree(dir, child);
    return d.isFile() ? [child] : [];
  });
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The source files: what git tracks plus new files not yet committed (both
 * as they are on disk), never anything .gitignore excludes.
 */
export function sourceFiles(): string[] {
  let listed: string;
  try {
    listed = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  } catch (error) {
    throw new Error(`the source zip lists its files with git; run this from a git clone (${String(error)})`);
  }
  return [...new Set(listed.split('\0').filter(Boolean))]
    .filter((f) => existsSync(path.join(ROOT, f)) && !NEVER_IN_SOURCE.test(f))
    .sort();
}

function zipTime(): number {
  const fromEnv = process.env['SOURCE_DATE_EPOCH'];
  if (fromEnv && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  try {
    return Number(git(['log', '-1', '--format=%ct']).trim());
  } catch {
    return 315_532_800;
  }
}

function write(name: string, zip: Uint8Array): void {
  const file = path.join(OUT_DIR, name);
  writeFileSync(file, zip);
  const sha = createHash('sha256').update(zip).digest('hex');
  console.log(`${path.relative(ROOT, file)}  ${(zip.length / 1024).toFixed(1)} KiB  sha256 ${sha}`);
}

function main(): void {
  // A build with CW_DATA_BUNDLE_KEY trusts a test key (src/data/build-constants.ts): never a release.
  if (process.env['CW_DATA_BUNDLE_KEY']) throw new Error('CW_DATA_BUNDLE_KEY is set: release builds trust only the pinned data key; unset it');
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const time = zipTime();
  mkdirSync(OUT_DIR, { recursive: true });
  for (const browser of ['chrome', 'firefox'] as const) {
    const dir = path.join(ROOT, 'dist', browser);
    const manifestFile = path.join(dir, 'manifest.json');
    if (!existsSync(manifestFile)) throw new Error(`no ${path.relative(ROOT, manifestFile)}: run npm run build first`);
    const built = (JSON.parse(readFileSync(manifestFile, 'utf8')) as { version: string }).version;
    // A stale dist from another version must not be shipped under this one's name.
    if (built !== version) throw new Error(`dist/${browser} is version ${built}, package.json says ${version}: run npm run build`);
    write(`carrier-watch-${version}-${browser}.zip`, deterministicZip(listTree(dir).map((f) => readEntry(dir, f)), time));
  }
  const sources = sourceFiles();
  if (git(['status', '--porcelain']).trim() !== '') console.warn('note: the source zip includes files not committed yet (git status)');
  write(`carrier-watch-${version}-source.zip`, deterministicZip(sources.map((f) => readEntry(ROOT, f)), time));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

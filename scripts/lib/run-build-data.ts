import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLAGGED_FILES } from '../../src/engine/flagged-list.ts';
import { BuildDataError, buildIpData, type BuildInputs, type BuildOutput } from './build-ip-data.ts';
import { checkShrink, readTotals } from './data-guards.ts';
import type { TextFile } from './read-ranges.ts';

// The command line of `npm run data`: reads the files, runs the in-memory
// build, applies the guards that need the committed table, and writes both
// outputs only when everything passed (so a failed run keeps the last good
// table). Returns the exit code instead of exiting, so tests can call it.

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const TABLE_FILE = 'ip-table.bin';
export const META_FILE = 'ip-table-meta.json';

export const USAGE = `Usage: tsx scripts/build-data.ts [options]

Builds src/data/generated/ip-table.bin and ip-table-meta.json from the pinned
@ip-location-db/asn package, filtered to the ASNs in data/flagged/asns.tsv.

  --extra FILE     a "prefix<TAB>asn" file that overrides the package for the
                   space it covers (more specific prefix wins); repeatable
  --out DIR        output directory (default src/data/generated)
  --package DIR    the package directory (default node_modules/@ip-location-db/asn)
  --flagged DIR    the curated list (default data/flagged)
  --allow-shrink   accept a table more than 10% smaller than the committed one
  --check          build in memory and fail if the committed files differ
  --help           show this text`;

export interface CliOptions {
  out: string;
  packageDir: string;
  flaggedDir: string;
  extras: string[];
  allowShrink: boolean;
  check: boolean;
}

export interface CliIo {
  log(message: string): void;
  error(message: string): void;
}

/** Parses argv; a string is a usage error. `undefined` means --help. */
export function parseArgs(argv: readonly string[]): CliOptions | string | undefined {
  const options: CliOptions = {
    out: join(REPO_ROOT, 'src', 'data', 'generated'),
    packageDir: join(REPO_ROOT, 'node_modules', '@ip-location-db', 'asn'),
    flaggedDir: join(REPO_ROOT, 'data', 'flagged'),
    extras: [],
    allowShrink: false,
    check: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string | undefined => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) return undefined;
      i++;
      return next;
    };
    switch (arg) {
      case '--help':
        return undefined;
      case '--allow-shrink':
        options.allowShrink = true;
        break;
      case '--check':
        options.check = true;
        break;
      case '--extra':
      case '--out':
      case '--package':
      case '--flagged': {
        const v = value();
        if (v === undefined) return `${arg} needs a value`;
        if (arg === '--extra') options.extras.push(v);
        else if (arg === '--out') options.out = resolve(v);
        else if (arg === '--package') options.packageDir = resolve(v);
        else options.flaggedDir = resolve(v);
        break;
      }
      default:
        return `unknown argument "${arg}"`;
    }
  }
  return options;
}

export function runBuildData(argv: readonly string[], io: CliIo = console): number {
  const started = performance.now();
  const options = parseArgs(argv);
  if (options === undefined) {
    io.log(USAGE);
    return 0;
  }
  if (typeof options === 'string') {
    io.error(`build-data: ${options}\n\n${USAGE}`);
    return 2;
  }

  let output: BuildOutput;
  try {
    output = buildIpData(readInputs(options));
  } catch (error) {
    if (error instanceof BuildDataError || error instanceof InputError) {
      io.error(`build-data: ${error.message}\nNothing was written.`);
      return 1;
    }
    throw error;
  }

  const tablePath = join(options.out, TABLE_FILE);
  const metaPath = join(options.out, META_FILE);
  if (options.check) return checkCommitted(output, tablePath, metaPath, io);

  if (!options.allowShrink && existsSync(metaPath)) {
    const previous = readTotals(readFileSync(metaPath, 'utf8'));
    const problems = typeof previous === 'string' ? [`cannot compare with ${display(metaPath)}: ${previous}; pass --allow-shrink to build anyway`] : checkShrink(previous, output.meta.totals);
    if (problems.length > 0) {
      io.error(`build-data: guard failed:\n${problems.map((p) => `  ${p}`).join('\n')}\nNothing was written.`);
      return 1;
    }
  }

  mkdirSync(options.out, { recursive: true });
  // Write both beside their targets, then rename: a crash never leaves half a file.
  writeFileSync(`${tablePath}.tmp`, output.table);
  writeFileSync(`${metaPath}.tmp`, output.metaJson);
  renameSync(`${tablePath}.tmp`, tablePath);
  renameSync(`${metaPath}.tmp`, metaPath);

  const { totals, asnsWithoutRanges } = output.meta;
  io.log(
    [
      `build-data: wrote ${display(tablePath)} (${statSync(tablePath).size} bytes) and ${display(metaPath)} (${statSync(metaPath).size} bytes)`,
      `  IPv4: ${totals.v4Ranges} ranges, ${totals.v4Addresses} addresses; IPv6: ${totals.v6Ranges} ranges, ${totals.v6Addresses} addresses`,
      `  ASNs without ranges (${asnsWithoutRanges.length}): ${asnsWithoutRanges.join(' ') || 'none'}`,
      `  took ${((performance.now() - started) / 1000).toFixed(2)} s`,
    ].join('\n'),
  );
  return 0;
}

class InputError extends Error {}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

function readText(path: string, what: string): TextFile {
  try {
    return { name: display(path), text: readFileSync(path, 'utf8') };
  } catch (error) {
    throw new InputError(`cannot read ${what} ${display(path)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function readInputs(options: CliOptions): BuildInputs {
  const flagged = (file: string) => readText(join(options.flaggedDir, file), 'the curated list file').text;
  const lookalikesPath = join(options.flaggedDir, FLAGGED_FILES.lookalikes);
  return {
    flagged: {
      operatorsJson: flagged(FLAGGED_FILES.operators),
      asnsTsv: flagged(FLAGGED_FILES.asns),
      domainsTsv: flagged(FLAGGED_FILES.domains),
      lookalikesTsv: existsSync(lookalikesPath) ? flagged(FLAGGED_FILES.lookalikes) : undefined,
    },
    packageJson: readText(join(options.packageDir, 'package.json'), 'the package manifest'),
    v4Csv: readText(join(options.packageDir, 'asn-ipv4-num.csv'), 'the package CSV'),
    v6Csv: readText(join(options.packageDir, 'asn-ipv6-num.csv'), 'the package CSV'),
    extras: options.extras.map((path) => readText(resolve(path), 'the extra input')),
  };
}

/** --check: the committed files must be byte-identical to a fresh build. */
function checkCommitted(output: BuildOutput, tablePath: string, metaPath: string, io: CliIo): number {
  const differing: string[] = [];
  for (const [path, expected] of [
    [tablePath, Buffer.from(output.table)],
    [metaPath, Buffer.from(output.metaJson, 'utf8')],
  ] as const) {
    const committed = existsSync(path) ? readFileSync(path) : undefined;
    if (committed === undefined) differing.push(`${display(path)} is missing`);
    else if (!committed.equals(expected)) differing.push(`${display(path)} differs from a fresh build`);
  }
  if (differing.length === 0) {
    io.log(`build-data --check: the committed table matches a fresh build (${output.meta.totals.v4Ranges} IPv4 and ${output.meta.totals.v6Ranges} IPv6 ranges)`);
    return 0;
  }
  const committedTotals = existsSync(metaPath) ? readTotals(readFileSync(metaPath, 'utf8')) : 'missing';
  io.error(
    [
      'build-data --check: the committed table is not reproducible from the pinned inputs:',
      ...differing.map((d) => `  ${d}`),
      `  committed totals: ${typeof committedTotals === 'string' ? committedTotals : JSON.stringify(committedTotals)}`,
      `  fresh totals:     ${JSON.stringify(output.meta.totals)}`,
      'Run `npm run data` and commit the result.',
    ].join('\n'),
  );
  return 1;
}

import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLAGGED_FILES } from '../../src/engine/flagged-list.ts';
import { IpTable, type RangeInput } from '../../src/engine/ip-table.ts';
import { BuildDataError, buildIpData, type BuildInputs, type BuildOutput, type IpTableMeta } from './build-ip-data.ts';
import { checkNoOperatorVanishes, checkShrink, readTotals } from './data-guards.ts';
import { readExtraPrefixes, type TextFile } from './read-ranges.ts';
import { BGPDUMP, readOriginsStats, readRibs, RibError, type RibStats } from './read-rib.ts';
import { diffTables, diffToJson, formatDiff, type LabelledRange, type TableDiff } from './table-diff.ts';

// The command line of `npm run data`: reads the files, runs the in-memory
// build, applies the guards that need the committed table, and writes both
// outputs only when everything passed (so a failed run keeps the last good
// table). Returns the exit code instead of exiting, so tests can call it.

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const TABLE_FILE = 'ip-table.bin';
export const META_FILE = 'ip-table-meta.json';
export const ORIGINS_FILE = 'origins.tsv';

export const USAGE = `Usage: tsx scripts/build-data.ts [options]

Builds src/data/generated/ip-table.bin and ip-table-meta.json from the pinned
@ip-location-db/asn package, filtered to the ASNs in data/flagged/asns.tsv,
and reports what changed against the committed table.

  --rib FILE...    BGP RIB dumps (MRT TABLE_DUMP_V2 from RouteViews or RIPE
                   RIS; plain, .gz or .bz2), read with Debian's bgpdump: each
                   prefix's origin AS (the one most peers see; AS_SET origins
                   skipped) decides wherever BGP announces, the package fills
                   the rest; takes every following non-option argument
  --extra FILE     a "prefix<TAB>asn" file that overrides the package for the     a "prefix<TAB>asn" file that overrides the package for the
                   space it covers (more specific prefix wins); repeatable
  --out DIR        output directory (default src/data/generated)
  --package DIR    the package directory (default node_modules/@ip-location-db/asn)
  --flagged DIR    the curated list (default data/flagged)
  --allow-shrink   accept a table more than 10% smaller than the committed one
  --check          build in memory and fail if the committed files differ
  --origins FILE   the committed BGP layer: written by a --rib run (only the
                   prefixes that overlap flagged space), read back by runs
                   without --rib and by --check (default: bgp/origins.tsv
                   beside the --flagged directory, i.e. data/bgp/origins.tsv)
  --report-json F  also write the report of changes as JSON to F
  --bgpdump CMD    the bgpdump command (default bgpdump)
  --help           show this text`;

export interface CliOptions {
  out: string;
  packageDir: string;
  flaggedDir: string;
  extras: string[];
  ribs: string[];
  reportJson: string | undefined;
  origins: string | undefined;
  bgpdump: string;
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
    ribs: [],
    reportJson: undefined,
    origins: undefined,
    bgpdump: BGPDUMP,
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
      case '--rib': {
        const before = options.ribs.length;
        for (let v = value(); v !== undefined; v = value()) options.ribs.push(v);
        if (options.ribs.length === before) return '--rib needs at least one file';
        break;
      }
      case '--extra':
      case '--report-json':
      case '--origins':
      case '--bgpdump':
      case '--out':
      case '--package':
      case '--flagged': {
        const v = value();
        if (v === undefined) return `${arg} needs a value`;
        if (arg === '--extra') options.extras.push(v);
        else if (arg === '--report-json') options.reportJson = resolve(v);
        else if (arg === '--origins') options.origins = resolve(v);
        else if (arg === '--bgpdump') options.bgpdump = v;
        else if (arg === '--out') options.out = resolve(v);
        else if (arg === '--package') options.packageDir = resolve(v);
        else options.flaggedDir = resolve(v);
        break;
      }
      default:
        return `unknown argument "${arg}"`;
    }
  }
  options.origins ??= join(dirname(options.flaggedDir), 'bgp', ORIGINS_FILE);
  return options;
}

export async function runBuildData(argv: readonly string[], io: CliIo = console): Promise<number> {
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

  const originsPath = options.origins!;
  let output: BuildOutput;
  try {
    const inputs = readInputs(options);
    if (options.ribs.length > 0) {
      const files = options.ribs.map((path) => ({ path: resolve(path), name: display(resolve(path)) }));
      inputs.bgp = await readRibs(files, options.bgpdump);
      io.log(describeRibs(inputs.bgp.stats, inputs.bgp.v4.length, inputs.bgp.v6.length));
    } else if (existsSync(originsPath)) {
      inputs.bgp = readOrigins(readText(originsPath, 'the BGP origins'));
    }
    output = buildIpData(inputs);
  } catch (error) {
    if (error instanceof RibError) {
      io.error(`build-data: cannot read the RIB dumps:\n  ${error.message}\nNothing was written.`);
      return 1;
    }
    if (error instanceof BuildDataError || error instanceof InputError) {
      io.error(`build-data: ${error.message}\nNothing was written.`);
      return 1;
    }
    throw error;
  }

  const tablePath = join(options.out, TABLE_FILE);
  const metaPath = join(options.out, META_FILE);
  if (options.check) return checkCommitted(output, tablePath, metaPath, io);

  const previousMetaText = existsSync(metaPath) ? readFileSync(metaPath, 'utf8') : undefined;
  const diff = diffAgainstCommitted(output, tablePath, previousMetaText, io);
  if (diff !== undefined) io.log(formatDiff(diff, { asnName: (asn) => output.meta.asns[String(asn)]?.orgInData ?? undefined }));

  if (previousMetaText !== undefined) {
    const previous = readTotals(previousMetaText);
    const problems = checkNoOperatorVanishes(previousMetaText, output.meta);
    if (!options.allowShrink) {
      problems.push(...(typeof previous === 'string' ? [`cannot compare with ${display(metaPath)}: ${previous}; pass --allow-shrink to build anyway`] : checkShrink(previous, output.meta.totals)));
    }
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
  if (options.ribs.length > 0 && output.bgpOrigins !== undefined) {
    mkdirSync(dirname(originsPath), { recursive: true });
    writeFileSync(`${originsPath}.tmp`, output.bgpOrigins);
    renameSync(`${originsPath}.tmp`, originsPath);
  }
  if (options.reportJson !== undefined) {
    mkdirSync(dirname(options.reportJson), { recursive: true });
    const report = { meta: { source: output.meta.source, bgp: output.meta.bgp ?? null, extraInputs: output.meta.extraInputs, totals: output.meta.totals }, changes: diff ? diffToJson(diff) : null };
    writeFileSync(options.reportJson, `${JSON.stringify(report, null, 2)}\n`);
  }

  const { totals, asnsWithoutRanges } = output.meta;
  io.log(
    [
      `build-data: wrote ${display(tablePath)} (${statSync(tablePath).size} bytes) and ${display(metaPath)} (${statSync(metaPath).size} bytes)` +
        (options.ribs.length > 0 ? `, and the BGP layer ${display(originsPath)} (${statSync(originsPath).size} bytes)` : ''),
      output.meta.bgp !== undefined
        ? `  BGP of ${output.meta.bgp.dataDate} decides where it announces${options.ribs.length > 0 ? '' : ` (from ${display(originsPath)})`}; the package (data of ${output.meta.source.dataDate}) fills the rest`
        : `  from the package alone (data of ${output.meta.source.dataDate})`,
      `  IPv4: ${totals.v4Ranges} ranges, ${totals.v4Addresses} addresses; IPv6: ${totals.v6Ranges} ranges, ${totals.v6Addresses} addresses`,
      `  ASNs without ranges (${asnsWithoutRanges.length}): ${asnsWithoutRanges.join(' ') || 'none'}`,
      `  took ${((performance.now() - started) / 1000).toFixed(2)} s`,
    ].join('\n'),
  );
  return 0;
}

class InputError extends Error {}

/** The committed BGP layer, read back as the same intervals a --rib run painted. */
function readOrigins(file: TextFile): NonNullable<BuildInputs['bgp']> {
  const stats = readOriginsStats(file.name, file.text);
  if (typeof stats === 'string') throw new InputError(`cannot read the BGP origins: ${stats}`);
  const problems: string[] = [];
  const { v4, v6 } = readExtraPrefixes(file, problems);
  if (problems.length > 0) throw new InputError(`the BGP origins do not parse:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { v4, v6, stats };
}

function describeRibs(stats: RibStats, v4: number, v6: number): string {
  return [
    `build-data: read ${stats.files.length} RIB dump(s) with bgpdump: ${stats.entries} entries, ${stats.prefixes} prefixes (${v4} IPv4, ${v6} IPv6)`,
    ...stats.files.map((f) => `  ${f.file}: ${f.entries} entries, dumped ${f.dumpTime}`),
    `  skipped: ${stats.asSetOrigins} entries with an AS_SET origin, ${stats.emptyPaths} with an empty AS path, ${stats.defaultRoutes} default routes`,
    `  ${stats.multiOrigin} prefixes with more than one origin: the origin most peers see wins` +
      (stats.ties > 0 ? `; ${stats.ties} were ties, won by the lowest AS number` : ''),
  ].join('\n');
}

/** The committed table against the new one; undefined (with a note) when there is none to compare. */
function diffAgainstCommitted(output: BuildOutput, tablePath: string, previousMetaText: string | undefined, io: CliIo): TableDiff | undefined {
  const toLabelled = (r: RangeInput | { start: number | bigint; end: number | bigint; asn: number }): LabelledRange => ({ start: BigInt(r.start), end: BigInt(r.end), asn: r.asn });
  let before: { v4: LabelledRange[]; v6: LabelledRange[] } = { v4: [], v6: [] };
  if (existsSync(tablePath)) {
    try {
      const table = IpTable.decode(readFileSync(tablePath));
      before = { v4: [...table.ranges(4)].map(toLabelled), v6: [...table.ranges(6)].map(toLabelled) };
    } catch (error) {
      io.log(`build-data: cannot read the committed table ${display(tablePath)} to compare (${error instanceof Error ? error.message : String(error)}): no report of changes`);
      return undefined;
    }
  }
  let previousAsns: IpTableMeta['asns'] = {};
  try {
    if (previousMetaText !== undefined) previousAsns = (JSON.parse(previousMetaText) as IpTableMeta).asns ?? {};
  } catch {
    // The shrink guard reports an unreadable meta file.
  }
  const operatorOf = (asn: number): string | undefined => output.meta.asns[String(asn)]?.operatorId ?? previousAsns[String(asn)]?.operatorId;
  return diffTables(before, { v4: output.segments.v4.map(toLabelled), v6: output.segments.v6.map(toLabelled) }, operatorOf);
}

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

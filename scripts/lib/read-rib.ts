import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Interval } from './paint-ranges.ts';
import { PACKAGE_PRIORITY, parsePrefix } from './read-ranges.ts';

// Reads BGP RIB dumps (MRT TABLE_DUMP_V2, as RouteViews and RIPE RIS publish
// them; plain, .gz or .bz2) through Debian's `bgpdump -m`, which decompresses
// by itself. A real RIB has about a million prefixes seen by ~50 peers each,
// so lines are never kept: each is folded into a per-prefix count of origin
// ASes, and only the winners become intervals at the end.

/** Command run to read MRT files; tests may point it elsewhere. */
export const BGPDUMP = 'bgpdump';
export const BGPDUMP_PACKAGE = 'bgpdump';

/** How many bad lines are quoted per file before the rest are only counted. */
const MAX_QUOTED = 10;

export interface RibFileSummary {
  file: string;
  sha256: string;
  /** Earliest and latest record time in the dump, ISO 8601. */
  dumpTime: string;
  /** RIB entries read: one per (peer, prefix). */
  entries: number;
}

export interface RibStats {
  /** Day of the newest dump, YYYY-MM-DD: how fresh the BGP layer is. */
  dataDate: string;
  files: RibFileSummary[];
  entries: number;
  /** Prefixes with at least one usable origin. */
  prefixes: number;
  /** Entries whose path ends in an AS_SET ({...}): no single origin, skipped. */
  asSetOrigins: number;
  /** Entries with an empty AS path (the peer's own routes): no origin, skipped. */
  emptyPaths: number;
  /** Default routes (0.0.0.0/0, ::/0): they would cover everything, skipped. */
  defaultRoutes: number;
  /** Prefixes announced by more than one origin; the one most peers see wins. */
  multiOrigin: number;
  /** Of those, prefixes where two origins tied and the lowest AS number won. */
  ties: number;
}

export class RibError extends Error {
  override name = 'RibError';
}

/**
 * Folds RIB lines into per-prefix origin counts. Counts are kept as a flat
 * [asn, count, asn, count, …] array: almost every prefix has one origin, and a
 * Map per prefix would cost far more memory on a full table.
 */
export class RibAggregator {
  private readonly origins = new Map<string, number[]>();
  asSetOrigins = 0;
  emptyPaths = 0;
  defaultRoutes = 0;
  entries = 0;

  /** Adds one `bgpdump -m` line; returns the reason it does not parse, or undefined. */
  addLine(line: string): string | undefined {
    const fields = line.split('|');
    if (fields.length < 8) return `expected a "TABLE_DUMP2|time|B|peer|peer_as|prefix|as_path|origin|…" line, found ${fields.length} field(s)`;
    const [kind, time, type, , peerAs, prefix, path] = fields as [string, string, string, string, string, string, string];
    if (kind !== 'TABLE_DUMP2' && kind !== 'TABLE_DUMP') return `"${kind}" is not a RIB entry (TABLE_DUMP_V2 expected; is this an updates file?)`;
    if (type !== 'B') return `entry type "${type}" is not B`;
    if (!/^[0-9]+$/.test(time)) return `time "${time}" is not a number`;
    if (!/^[0-9]+$/.test(peerAs)) return `peer AS "${peerAs}" is not a number`;
    if (!prefix.includes('/')) return `"${prefix}" is not a prefix`;
    this.entries++;
    const trimmed = path.trim();
    if (trimmed === '') {
      this.emptyPaths++;
      return undefined;
    }
    if (trimmed.endsWith('}')) {
      this.asSetOrigins++;
      return undefined;
    }
    const last = trimmed.slice(trimmed.lastIndexOf(' ') + 1);
    if (!/^[1-9][0-9]{0,9}$/.test(last) || Number(last) > 0xffffffff) return `the AS path "${path}" does not end in an AS number`;
    if (prefix === '0.0.0.0/0' || prefix === '::/0') {
      this.defaultRoutes++;
      return undefined;
    }
    const origin = Number(last);
    const counts = this.origins.get(prefix);
    if (counts === undefined) {
      // Checked once per prefix, not once per peer.
      const parsed = parsePrefix(prefix);
      if (typeof parsed === 'string') return parsed;
      this.origins.set(prefix, [origin, 1]);
      return undefined;
    }
    for (let i = 0; i < counts.length; i += 2) {
      if (counts[i] === origin) {
        counts[i + 1]!++;
        return undefined;
      }
    }
    counts.push(origin, 1);
    return undefined;
  }

  /**
   * The winning origin of every prefix as intervals for the painter: the
   * origin the most entries (peers) see, the lowest AS number on a tie. The
   * priority is above the package's and grows with the prefix length, so the
   * more specific announcement wins, as in BGP.
   */
  intervals(): { v4: Interval<number>[]; v6: Interval<bigint>[]; multiOrigin: number; ties: number } {
    const v4: Interval<number>[] = [];
    const v6: Interval<bigint>[] = [];
    let multiOrigin = 0;
    let ties = 0;
    for (const [prefix, counts] of this.origins) {
      let asn = counts[0]!;
      let best = counts[1]!;
      let tied = false;
      for (let i = 2; i < counts.length; i += 2) {
        const a = counts[i]!;
        const c = counts[i + 1]!;
        if (c > best || (c === best && a < asn)) {
          tied = c === best;
          asn = a;
          best = c;
        } else if (c === best) tied = true;
      }
      if (counts.length > 2) multiOrigin++;
      if (tied) ties++;
      const parsed = parsePrefix(prefix);
      if (typeof parsed === 'string') continue; // cannot happen: addLine checked it
      const priority = PACKAGE_PRIORITY + 1 + parsed.length;
      if (parsed.family === 4) v4.push({ start: parsed.start, end: parsed.end, asn, priority });
      else v6.push({ start: parsed.start, end: parsed.end, asn, priority });
    }
    return { v4, v6, multiOrigin, ties };
  }

  get prefixCount(): number {
    return this.origins.size;
  }
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

/**
 * Runs `bgpdump -m` on one file and folds its lines into `aggregator`.
 * Rejects with a RibError "file: reason" when the file is missing, bgpdump is
 * not installed, exits non-zero, logs an error (it exits 0 on a truncated or
 * non-MRT file, but says so on stderr), prints a line that does not parse, or
 * prints no RIB entry at all.
 */
export async function readRibFile(path: string, name: string, aggregator: RibAggregator, command = BGPDUMP): Promise<RibFileSummary> {
  try {
    if (!statSync(path).isFile()) throw new RibError(`${name}: not a file`);
  } catch (error) {
    if (error instanceof RibError) throw error;
    throw new RibError(`${name}: cannot read it (${error instanceof Error ? error.message : String(error)})`);
  }
  const hashing = sha256File(path);
  // -v: log to stderr instead of syslog, so its errors reach us.
  const child = spawn(command, ['-m', '-v', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: NodeJS.ErrnoException }>((resolvePromise) => {
    child.on('error', (spawnError: NodeJS.ErrnoException) => resolvePromise({ code: null, signal: null, spawnError }));
    child.on('close', (code, signal) => resolvePromise({ code, signal }));
  });

  const bad: string[] = [];
  let badCount = 0;
  let lineNumber = 0;
  let minTime = Infinity;
  let maxTime = -Infinity;
  const entriesBefore = aggregator.entries;
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  for await (const line of lines) {
    lineNumber++;
    const reason = aggregator.addLine(line);
    if (reason !== undefined) {
      if (badCount++ < MAX_QUOTED) bad.push(`${name}: bgpdump output line ${lineNumber}: ${reason}`);
      continue;
    }
    const time = Number(line.slice(line.indexOf('|') + 1, line.indexOf('|', line.indexOf('|') + 1)));
    if (time < minTime) minTime = time;
    if (time > maxTime) maxTime = time;
  }
  const { code, signal, spawnError } = await exited;
  if (spawnError !== undefined) {
    hashing.catch(() => undefined);
    if (spawnError.code === 'ENOENT') {
      throw new RibError(`${name}: cannot run "${command}": it is not installed. Install Debian's ${BGPDUMP_PACKAGE} package (apt-get install ${BGPDUMP_PACKAGE}).`);
    }
    throw new RibError(`${name}: cannot run "${command}": ${spawnError.message}`);
  }
  const errors = stderr
    .join('')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/\[(info|debug)\]/.test(l))
    .map((l) => l.replace(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} /, ''));
  if (code !== 0) {
    throw new RibError(`${name}: bgpdump ${signal ? `was killed by ${signal}` : `exited with status ${code}`}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`);
  }
  const fatal = errors.filter((l) => /\[(error|err|crit)\]/i.test(l) || !/\[\w+\]/.test(l));
  if (fatal.length > 0) throw new RibError(`${name}: not a readable MRT file: ${fatal.join('; ')}`);
  if (badCount > 0) {
    if (badCount > MAX_QUOTED) bad.push(`${name}: ${badCount - MAX_QUOTED} more line(s) that do not parse`);
    throw new RibError(bad.join('\n  '));
  }
  const entries = aggregator.entries - entriesBefore;
  if (entries === 0) throw new RibError(`${name}: no RIB entries in it (is it an MRT TABLE_DUMP_V2 RIB dump?)`);
  const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
  return { file: name, sha256: await hashing, dumpTime: minTime === maxTime ? iso(minTime) : `${iso(minTime)}/${iso(maxTime)}`, entries };
}

/** Reads every file into one aggregate (peers of several collectors add up). */
export async function readRibs(
  files: readonly { path: string; name: string }[],
  command = BGPDUMP,
): Promise<{ v4: Interval<number>[]; v6: Interval<bigint>[]; stats: RibStats }> {
  const aggregator = new RibAggregator();
  const summaries: RibFileSummary[] = [];
  for (const file of files) summaries.push(await readRibFile(file.path, file.name, aggregator, command));
  const { v4, v6, multiOrigin, ties } = aggregator.intervals();
  return {
    v4,
    v6,
    stats: {
      dataDate: summaries.map((s) => s.dumpTime.slice(s.dumpTime.lastIndexOf('/') + 1, s.dumpTime.lastIndexOf('/') + 11)).sort().pop()!,
      files: summaries,
      entries: aggregator.entries,
      prefixes: aggregator.prefixCount,
      asSetOrigins: aggregator.asSetOrigins,
      emptyPaths: aggregator.emptyPaths,
      defaultRoutes: aggregator.defaultRoutes,
      multiOrigin,
      ties,
    },
  };
}

// The committed BGP layer (data/bgp/origins.tsv). A full RIB cannot be
// committed, and `npm run data:check` must rebuild the table from the repo
// alone, so a --rib run keeps only the prefixes that can change the table:
// those that overlap flagged space (a package row of a curated ASN or a
// prefix a curated ASN originates). At any address covered by flagged space
// every covering prefix is kept, so the winner there is the same; elsewhere
// nothing is flagged either way. The result is byte-identical.

type AnyInterval = Interval<number> | Interval<bigint>;

function compareStart<K extends number | bigint>(a: Interval<K>, b: Interval<K>): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.priority - b.priority;
}

/** The intervals of `candidates` that overlap any of `flagged`, sorted by start then prefix length. */
export function keepOverlapping<K extends number | bigint>(candidates: readonly Interval<K>[], flagged: readonly Interval<K>[]): Interval<K>[] {
  // Union of the flagged space as sorted, disjoint [start, end] pairs.
  const union: [K, K][] = [];
  for (const f of [...flagged].sort(compareStart)) {
    const last = union[union.length - 1];
    if (last !== undefined && f.start <= last[1]) {
      if (f.end > last[1]) last[1] = f.end;
    } else union.push([f.start, f.end]);
  }
  const overlaps = (c: Interval<K>): boolean => {
    let lo = 0;
    let hi = union.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (union[mid]![1] < c.start) lo = mid + 1;
      else hi = mid;
    }
    return lo < union.length && union[lo]![0] <= c.end;
  };
  return candidates.filter(overlaps).sort(compareStart);
}

const ORIGINS_STATS = '# stats: ';

function prefixText(family: 4 | 6, interval: AnyInterval): string {
  const length = interval.priority - PACKAGE_PRIORITY - 1;
  let address: string;
  if (family === 4) {
    const n = Number(interval.start);
    address = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  } else {
    const v = BigInt(interval.start);
    const groups: string[] = [];
    for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((v >> shift) & 0xffffn).toString(16));
    // The longest run of zero groups becomes "::", as in RFC 5952.
    let best = [-1, 0];
    for (let i = 0; i < 8; ) {
      if (groups[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > best[1]! && j - i > 1) best = [i, j - i];
      i = j;
    }
    address = best[0]! < 0 ? groups.join(':') : `${groups.slice(0, best[0]).join(':')}::${groups.slice(best[0]! + best[1]!).join(':')}`;
  }
  return `${address}/${length}`;
}

/** The origins file: a header with the stats, then "prefix<TAB>asn", IPv4 then IPv6, sorted. */
export function formatOrigins(v4: readonly Interval<number>[], v6: readonly Interval<bigint>[], stats: RibStats): string {
  return [
    '# BGP origin AS per prefix, written by `npm run data -- --rib` (scripts/lib/read-rib.ts) from the RIB dumps in the',
    '# stats line, keeping only the prefixes that overlap flagged space. `npm run data` and `npm run data:check` read it',
    '# back so the table rebuilds from the repository alone. Do not edit by hand: rerun with --rib, or delete it to drop BGP.',
    `${ORIGINS_STATS}${JSON.stringify(stats)}`,
    ...v4.map((i) => `${prefixText(4, i)}\t${i.asn}`),
    ...v6.map((i) => `${prefixText(6, i)}\t${i.asn}`),
    '',
  ].join('\n');
}

/** Reads the stats header of an origins file; a string is the reason it cannot. */
export function readOriginsStats(name: string, text: string): RibStats | string {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.startsWith(ORIGINS_STATS));
  if (index < 0) return `${name}: no "${ORIGINS_STATS.trim()}" line`;
  try {
    const stats = JSON.parse(lines[index]!.slice(ORIGINS_STATS.length)) as RibStats;
    if (typeof stats !== 'object' || stats === null || !Array.isArray(stats.files) || typeof stats.dataDate !== 'string') throw new Error('expected an object with files and dataDate');
    return stats;
  } catch (error) {
    return `${name}:${index + 1}: the stats line is not valid (${error instanceof Error ? error.message : String(error)})`;
  }
}

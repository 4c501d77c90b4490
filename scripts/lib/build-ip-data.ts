import { createHash } from 'node:crypto';
import { FlaggedListError, parseFlaggedList, type FlaggedListFiles } from '../../src/engine/flagged-list.ts';
import { encodeIpTable, type RangeInput } from '../../src/engine/ip-table.ts';
import type { AsnEntry, Confidence, OperatorId } from '../../src/engine/types.ts';
import { checkHighConfidenceHaveRanges, type TableTotals } from './data-guards.ts';
import { paintRanges, V4_OPS, V6_OPS, type Interval, type Segment } from './paint-ranges.ts';
import { readExtraPrefixes, readPackageV4, readPackageV6, type TextFile } from './read-ranges.ts';
import { formatOrigins, keepOverlapping, type RibStats } from './read-rib.ts';

// The whole build in memory: curated list + package CSVs + extra prefix files
// in, the serialized table and its meta file out. No file system here, so
// tests feed it fixtures and --check compares without writing.

export const PACKAGE_NAME = '@ip-location-db/asn';
export const LICENCE = 'CC BY 4.0';

export interface BuildInputs {
  flagged: FlaggedListFiles;
  /** The package's package.json, for its version. */
  packageJson: TextFile;
  v4Csv: TextFile;
  v6Csv: TextFile;
  /** "prefix<TAB>asn" files, in command-line order (later wins a tie). */
  extras: TextFile[];
  /**
   * Origins read from BGP RIB dumps (see read-rib.ts), if any: they beat the
   * package wherever they announce, the more specific prefix winning; an
   * extra file beats them at equal prefix length.
   */
  bgp?: { v4: Interval<number>[]; v6: Interval<bigint>[]; stats: RibStats };
}

export interface AsnMeta {
  operatorId: OperatorId;
  confidence: Confidence;
  v4Ranges: number;
  v4Addresses: number;
  v6Ranges: number;
  v6Addresses: string;
  /** Organisation name the package gives this ASN, or null if it has no row. */
  orgInData: string | null;
}

export interface IpTableMeta {
  source: { package: string; version: string; dataDate: string; licence: string };
  extraInputs: { file: string; sha256: string; prefixes: number }[];
  /** Present only when the table was built with --rib: the dumps and what was read from them. */
  bgp?: RibStats;
  attribution: string;
  totals: TableTotals;
  asns: Record<string, AsnMeta>;
  asnsWithoutRanges: number[];
  /** sha256 of asns.tsv: a table built from another version of the list is stale. */
  curatedListSha256: string;
}

export interface BuildOutput {
  /** The exact bytes to write: the binary table (see src/engine/ip-table.ts) and pretty JSON for the meta. */
  table: Uint8Array;
  meta: IpTableMeta;
  metaJson: string;
  /** The table's ranges, for the report of what changed. */
  segments: { v4: Segment<number>[]; v6: Segment<bigint>[] };
  /** The BGP layer to commit as data/bgp/origins.tsv, when the build had one. */
  bgpOrigins: string | undefined;
}

export class BuildDataError extends Error {
  override name = 'BuildDataError';
  constructor(
    readonly heading: string,
    readonly problems: string[],
  ) {
    super(`${heading}\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** "2.3.2026061719" -> "2026-06-17": the package encodes its build hour in the patch number. */
export function dataDateOf(version: string): string | undefined {
  const match = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})\d{2}$/.exec(version);
  return match ? `${match[1]}-${match[2]}-${match[3]}` : undefined;
}

export function buildIpData(inputs: BuildInputs): BuildOutput {
  let entries: AsnEntry[];
  try {
    entries = parseFlaggedList(inputs.flagged).asns;
  } catch (error) {
    if (error instanceof FlaggedListError) throw new BuildDataError('the curated list does not parse:', error.problems);
    throw error;
  }
  const version = readVersion(inputs.packageJson);
  const curated = new Set(entries.map((e) => e.asn));

  const problems: string[] = [];
  const v4 = readPackageV4(inputs.v4Csv, curated, problems);
  const v6 = readPackageV6(inputs.v6Csv, curated, problems);
  const v4Intervals: Interval<number>[] = v4.intervals;
  const v6Intervals: Interval<bigint>[] = v6.intervals;
  let bgpOrigins: string | undefined;
  if (inputs.bgp !== undefined) {
    // Only the prefixes that can change the table (see read-rib.ts); the
    // same list is written to data/bgp/origins.tsv, so a rebuild from it
    // paints exactly these intervals in this order.
    const flaggedV4 = [...v4Intervals, ...inputs.bgp.v4].filter((i) => curated.has(i.asn));
    const flaggedV6 = [...v6Intervals, ...inputs.bgp.v6].filter((i) => curated.has(i.asn));
    const bgpV4 = keepOverlapping(inputs.bgp.v4, flaggedV4);
    const bgpV6 = keepOverlapping(inputs.bgp.v6, flaggedV6);
    // After the package rows, before the extras: the painter's tie-break is input order.
    for (const interval of bgpV4) v4Intervals.push(interval);
    for (const interval of bgpV6) v6Intervals.push(interval);
    bgpOrigins = formatOrigins(bgpV4, bgpV6, inputs.bgp.stats);
  }
  const extraInputs: IpTableMeta['extraInputs'] = [];
  for (const file of inputs.extras) {
    const extra = readExtraPrefixes(file, problems);
    // Appended after the package rows: the painter's tie-break is input order.
    for (const interval of extra.v4) v4Intervals.push(interval);
    for (const interval of extra.v6) v6Intervals.push(interval);
    extraInputs.push({ file: baseName(file.name), sha256: sha256(file.text), prefixes: extra.prefixes });
  }
  if (problems.length > 0) throw new BuildDataError(`${problems.length} malformed input line(s):`, problems);

  const keep = (asn: number): boolean => curated.has(asn);
  const v4Segments = paintRanges(v4Intervals, keep, V4_OPS);
  const v6Segments = paintRanges(v6Intervals, keep, V6_OPS);

  const withRanges = new Set([...v4Segments, ...v6Segments].map((s) => s.asn));
  const guard = checkHighConfidenceHaveRanges(entries, withRanges);
  if (guard.length > 0) throw new BuildDataError('guard failed:', guard);

  const table = encodeIpTable(v4Segments.map(toRangeInput), v6Segments.map(toRangeInput));
  const orgs = new Map([...v6.orgs, ...v4.orgs]);
  const meta = buildMeta({ version, entries, v4Segments, v6Segments, orgs, extraInputs, asnsTsv: inputs.flagged.asnsTsv, bgp: inputs.bgp?.stats });
  return { table, meta, metaJson: `${JSON.stringify(meta, null, 2)}\n`, segments: { v4: v4Segments, v6: v6Segments }, bgpOrigins };
}

function readVersion(file: TextFile): { version: string; dataDate: string } {
  let version: unknown;
  try {
    version = (JSON.parse(file.text) as { version?: unknown }).version;
  } catch (error) {
    throw new BuildDataError('cannot read the package version:', [`${file.name}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const dataDate = typeof version === 'string' ? dataDateOf(version) : undefined;
  if (typeof version !== 'string' || dataDate === undefined) {
    throw new BuildDataError('cannot read the package version:', [`${file.name}: version ${JSON.stringify(version)} is not MAJOR.MINOR.YYYYMMDDHH`]);
  }
  return { version, dataDate };
}

function toRangeInput(segment: Segment<number> | Segment<bigint>): RangeInput {
  return { start: BigInt(segment.start), end: BigInt(segment.end), asn: segment.asn };
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

interface MetaParts {
  version: { version: string; dataDate: string };
  entries: readonly AsnEntry[];
  v4Segments: readonly Segment<number>[];
  v6Segments: readonly Segment<bigint>[];
  orgs: ReadonlyMap<number, string>;
  extraInputs: IpTableMeta['extraInputs'];
  asnsTsv: string;
  bgp: RibStats | undefined;
}

function buildMeta(parts: MetaParts): IpTableMeta {
  const asns: Record<string, AsnMeta> = {};
  // Sorted so the file does not depend on the order of asns.tsv.
  for (const entry of [...parts.entries].sort((a, b) => a.asn - b.asn)) {
    asns[String(entry.asn)] = {
      operatorId: entry.operatorId,
      confidence: entry.confidence,
      v4Ranges: 0,
      v4Addresses: 0,
      v6Ranges: 0,
      v6Addresses: '0',
      orgInData: parts.orgs.get(entry.asn) ?? null,
    };
  }
  const v6Sums = new Map<number, bigint>();
  let v4Addresses = 0;
  let v6Addresses = 0n;
  for (const s of parts.v4Segments) {
    const meta = asns[String(s.asn)]!;
    meta.v4Ranges++;
    meta.v4Addresses += s.end - s.start + 1;
    v4Addresses += s.end - s.start + 1;
  }
  for (const s of parts.v6Segments) {
    asns[String(s.asn)]!.v6Ranges++;
    v6Sums.set(s.asn, (v6Sums.get(s.asn) ?? 0n) + (s.end - s.start + 1n));
    v6Addresses += s.end - s.start + 1n;
  }
  for (const [asn, sum] of v6Sums) asns[String(asn)]!.v6Addresses = sum.toString();

  const asnsWithoutRanges = Object.entries(asns)
    .filter(([, m]) => m.v4Ranges === 0 && m.v6Ranges === 0)
    .map(([asn]) => Number(asn));
  return {
    source: { package: PACKAGE_NAME, version: parts.version.version, dataDate: parts.version.dataDate, licence: LICENCE },
    extraInputs: parts.extraInputs,
    // Only with --rib, so a table built without RIBs keeps its exact bytes.
    ...(parts.bgp !== undefined ? { bgp: parts.bgp } : {}),
    attribution: attributionText(parts.version.version, parts.extraInputs.length > 0, parts.bgp !== undefined),
    totals: { v4Ranges: parts.v4Segments.length, v4Addresses, v6Ranges: parts.v6Segments.length, v6Addresses: v6Addresses.toString() },
    asns,
    asnsWithoutRanges,
    curatedListSha256: sha256(parts.asnsTsv),
  };
}

/** The credit CC BY 4.0 asks for, including that the data was modified. */
function attributionText(version: string, withExtras: boolean, withBgp: boolean): string {
  return (
    (withBgp
      ? 'BGP origins from the RIB dumps listed in bgp.files (RouteViews, University of Oregon, https://www.routeviews.org; ' +
        'RIPE NCC Routing Information Service, https://ris.ripe.net), which decide wherever they announce a prefix. '
      : '') +
    `IP-to-ASN data from ${PACKAGE_NAME} ${version} (https://github.com/sapics/ip-location-db), ` +
    'built from RouteViews (https://www.routeviews.org), the DB-IP IP to ASN Lite database (https://db-ip.com) ' +
    'and NRO / regional internet registry statistics (https://www.nro.net), licensed under CC BY 4.0 ' +
    '(https://creativecommons.org/licenses/by/4.0/). Modified: filtered to the ASNs curated in data/flagged/asns.tsv ' +
    'and adjacent ranges of the same ASN merged' +
    (withBgp ? '; the package fills only the space no BGP announcement covers' : '') +
    (withExtras ? '; prefixes from the extra inputs listed in extraInputs override the package where they apply.' : '.')
  );
}

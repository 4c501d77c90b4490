import ipaddr from 'ipaddr.js';
import type { Interval } from './paint-ranges.ts';

// Readers for the pipeline's two kinds of input: the package's numeric CSVs
// (start,end,asn,org; inclusive ranges) and plain "prefix<TAB>asn" files that
// a maintainer feeds in from a fresher or BGP-derived source. Every bad line is
// reported as FILE:LINE: reason; nothing is skipped silently.

export const MAX_V4 = 0xffffffff;
export const MAX_V6 = (1n << 128n) - 1n;
const MAX_ASN = 0xffffffff;

/** Priority of package rows; an extra prefix gets 1 + its length, so it always beats them. */
export const PACKAGE_PRIORITY = 0;

export interface TextFile {
  /** Name used in messages (a path as the user gave it, or a base name). */
  name: string;
  text: string;
}

export interface PackageRanges<K> {
  intervals: Interval<K>[];
  /** First organisation name seen for each ASN, for the meta file. */
  orgs: Map<number, string>;
}

export interface ExtraPrefixes {
  v4: Interval<number>[];
  v6: Interval<bigint>[];
  prefixes: number;
}

interface CsvRow {
  start: string;
  end: string;
  asn: number;
  org: string;
}

/** Lines without their terminator, tolerating CRLF and a final newline. */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

function parseAsn(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_ASN ? value : undefined;
}

/**
 * Splits "start,end,asn,org". The numbers never contain commas, so only the
 * last field needs CSV rules: it may be quoted, with "" for a quote inside.
 */
export function parseCsvRow(line: string): CsvRow | string {
  const c1 = line.indexOf(',');
  const c2 = c1 < 0 ? -1 : line.indexOf(',', c1 + 1);
  const c3 = c2 < 0 ? -1 : line.indexOf(',', c2 + 1);
  if (c3 < 0) return 'expected 4 comma-separated columns: start,end,asn,org';
  const start = line.slice(0, c1);
  const end = line.slice(c1 + 1, c2);
  const asnText = line.slice(c2 + 1, c3);
  if (!/^(0|[1-9][0-9]*)$/.test(start)) return `start "${start}" is not a decimal number`;
  if (!/^(0|[1-9][0-9]*)$/.test(end)) return `end "${end}" is not a decimal number`;
  const asn = parseAsn(asnText);
  if (asn === undefined) return `asn "${asnText}" is not an integer from 1 to ${MAX_ASN}`;
  const org = parseCsvField(line.slice(c3 + 1));
  if (org === undefined) return 'org is not a valid CSV field (unbalanced quotes or an extra column)';
  return { start, end, asn, org };
}

/** One CSV field that runs to the end of the line, or undefined if malformed. */
function parseCsvField(text: string): string | undefined {
  if (!text.startsWith('"')) return text.includes('"') || text.includes(',') ? undefined : text;
  if (text.length < 2 || !text.endsWith('"')) return undefined;
  const inner = text.slice(1, -1);
  // Inside quotes every quote must be doubled.
  if (inner.replaceAll('""', '').includes('"')) return undefined;
  return inner.replaceAll('""', '"');
}

/** Reads asn-ipv4-num.csv. `problems` collects FILE:LINE messages. */
export function readPackageV4(file: TextFile, curated: ReadonlySet<number>, problems: string[]): PackageRanges<number> {
  return readPackageCsv(file, curated, problems, (text) => {
    // Ten digits at most, so Number is exact; longer text is out of range anyway.
    if (text.length > 10) return undefined;
    const value = Number(text);
    return value <= MAX_V4 ? value : undefined;
  });
}

/** Reads asn-ipv6-num.csv; 128-bit numbers need BigInt. */
export function readPackageV6(file: TextFile, curated: ReadonlySet<number>, problems: string[]): PackageRanges<bigint> {
  return readPackageCsv(file, curated, problems, (text) => {
    if (text.length > 39) return undefined;
    const value = BigInt(text);
    return value <= MAX_V6 ? value : undefined;
  });
}

function readPackageCsv<K extends number | bigint>(
  file: TextFile,
  curated: ReadonlySet<number>,
  problems: string[],
  toAddress: (text: string) => K | undefined,
): PackageRanges<K> {
  const intervals: Interval<K>[] = [];
  const orgs = new Map<number, string>();
  const lines = linesOf(file.text);
  for (let i = 0; i < lines.length; i++) {
    const where = `${file.name}:${i + 1}`;
    const row = parseCsvRow(lines[i]!);
    if (typeof row === 'string') {
      problems.push(`${where}: ${row}`);
      continue;
    }
    const start = toAddress(row.start);
    const end = toAddress(row.end);
    if (start === undefined || end === undefined) {
      problems.push(`${where}: address number out of range`);
      continue;
    }
    if (end < start) {
      problems.push(`${where}: end is before start`);
      continue;
    }
    // Every row is painted, flagged or not: two rows that overlap must be
    // resolved the same way whichever ASN is curated.
    intervals.push({ start, end, asn: row.asn, priority: PACKAGE_PRIORITY });
    if (curated.has(row.asn) && !orgs.has(row.asn)) orgs.set(row.asn, row.org);
  }
  return { intervals, orgs };
}

/**
 * Reads a "prefix<TAB>asn" file (IPv4 or IPv6 CIDR; # comments and blank
 * lines allowed). A prefix whose address has host bits set is rejected: it
 * usually means a typo, and silently widening it would flag the wrong space.
 */
export function readExtraPrefixes(file: TextFile, problems: string[]): ExtraPrefixes {
  const result: ExtraPrefixes = { v4: [], v6: [], prefixes: 0 };
  const lines = linesOf(file.text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const where = `${file.name}:${i + 1}`;
    const fields = line.split('\t');
    if (fields.length !== 2) {
      problems.push(`${where}: expected "prefix<TAB>asn", found ${fields.length} tab-separated column(s)`);
      continue;
    }
    const [prefix, asnText] = fields as [string, string];
    const asn = parseAsn(asnText);
    if (asn === undefined) {
      problems.push(`${where}: asn "${asnText}" is not an integer from 1 to ${MAX_ASN}`);
      continue;
    }
    const parsed = parsePrefix(prefix);
    if (typeof parsed === 'string') {
      problems.push(`${where}: ${parsed}`);
      continue;
    }
    result.prefixes++;
    const priority = PACKAGE_PRIORITY + 1 + parsed.length;
    if (parsed.family === 4) result.v4.push({ start: parsed.start, end: parsed.end, asn, priority });
    else result.v6.push({ start: parsed.start, end: parsed.end, asn, priority });
  }
  return result;
}

const FOUR_PART_DECIMAL = /^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$/;

type ParsedPrefix =
  | { family: 4; start: number; end: number; length: number }
  | { family: 6; start: bigint; end: bigint; length: number };

/** Parses a CIDR prefix with ipaddr.js; returns the reason when it is not one. */
export function parsePrefix(text: string): ParsedPrefix | string {
  const slash = text.indexOf('/');
  const lengthText = slash < 0 ? '' : text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return `"${text}" is not a CIDR prefix (address/length)`;
  const address = text.slice(0, slash);
  // Pick the family first: ipaddr.parseCIDR tries IPv6 and throws before
  // IPv4, and an exception per line is slow on a million-line table.
  if (address.includes(':')) {
    let parsed: [ipaddr.IPv6, number];
    try {
      parsed = ipaddr.IPv6.parseCIDR(text);
    } catch {
      return `"${text}" is not a valid IPv6 prefix`;
    }
    const [ip, length] = parsed;
    if (ip.zoneId !== undefined) return `"${text}" has a zone id`;
    let value = 0n;
    for (const part of ip.parts) value = (value << 16n) | BigInt(part);
    const hostMask = (1n << BigInt(128 - length)) - 1n;
    if ((value & hostMask) !== 0n) return `"${text}": the address has host bits set for a /${length}`;
    return { family: 6, start: value, end: value | hostMask, length };
  }
  // ipaddr.js also takes octal, hex and short forms ("10.1"); a table should not.
  if (!FOUR_PART_DECIMAL.test(address)) return `"${text}" is not a valid IPv4 prefix`;
  let parsed: [ipaddr.IPv4, number];
  try {
    parsed = ipaddr.IPv4.parseCIDR(text);
  } catch {
    return `"${text}" is not a valid IPv4 prefix`;
  }
  const [ip, length] = parsed;
  const o = ip.octets;
  const value = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const size = 2 ** (32 - length);
  if (value % size !== 0) return `"${text}": the address has host bits set for a /${length}`;
  return { family: 4, start: value, end: value + size - 1, length };
}

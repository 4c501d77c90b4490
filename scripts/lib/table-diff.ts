import ipaddr from 'ipaddr.js';

// What a data build changes against the committed table: every address whose
// label differs, as maximal ranges ("changes"), and their sums per operator
// and per ASN. A change is
//   added       - flagged now, not before;
//   removed     - flagged before, not now;
//   relabelled  - flagged both times under another ASN (`operatorChanged`
//                 says whether the operator changed too).
// Pure: the CLI prints it (formatDiff) and writes it as JSON (diffToJson).

export interface LabelledRange {
  start: bigint;
  /** Inclusive. */
  end: bigint;
  asn: number;
}

export type ChangeKind = 'added' | 'removed' | 'relabelled';

export interface Change {
  family: 4 | 6;
  start: bigint;
  end: bigint;
  kind: ChangeKind;
  /** ASN before / after; null when the space was not flagged. */
  before: number | null;
  after: number | null;
  operatorBefore: string | null;
  operatorAfter: string | null;
}

export interface Tally {
  ranges: number;
  addresses: bigint;
}

/** Per operator or per ASN, per family: space gained from nothing, lost to nothing, gained from and lost to another label. */
export interface Row {
  added: Tally;
  removed: Tally;
  relabelledIn: Tally;
  relabelledOut: Tally;
}

export interface FamilyDiff {
  changes: Change[];
  totals: Record<'added' | 'removed' | 'relabelledAsn' | 'relabelledOperator', Tally>;
  /** Only operators that gained or lost space; an ASN change inside one operator is in `asns` only. */
  operators: Map<string, Row>;
  asns: Map<number, Row>;
}

export interface TableDiff {
  v4: FamilyDiff;
  v6: FamilyDiff;
}

/** Operator of an ASN (from the old or new meta); undefined when unknown. */
export type OperatorOf = (asn: number) => string | undefined;

const tally = (): Tally => ({ ranges: 0, addresses: 0n });
const row = (): Row => ({ added: tally(), removed: tally(), relabelledIn: tally(), relabelledOut: tally() });

function add(t: Tally, size: bigint): void {
  t.ranges++;
  t.addresses += size;
}

/**
 * Compares two sorted, non-overlapping range lists of one family. A sweep
 * over both lists' boundaries: O(n + m), fine for a full table.
 */
export function diffFamily(family: 4 | 6, before: readonly LabelledRange[], after: readonly LabelledRange[], operatorOf: OperatorOf): FamilyDiff {
  // Boundaries where either side's label may change.
  const points: bigint[] = [];
  for (const list of [before, after]) for (const r of list) points.push(r.start, r.end + 1n);
  points.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const changes: Change[] = [];
  let i = 0;
  let j = 0;
  const labelAt = (list: readonly LabelledRange[], k: number, at: bigint): number => {
    const r = list[k];
    return r !== undefined && r.start <= at && at <= r.end ? r.asn : 0;
  };
  for (let p = 0; p < points.length - 1; p++) {
    const at = points[p]!;
    const next = points[p + 1]!;
    if (at === next) continue;
    while (i < before.length && before[i]!.end < at) i++;
    while (j < after.length && after[j]!.end < at) j++;
    const a = labelAt(before, i, at);
    const b = labelAt(after, j, at);
    if (a === b) continue;
    const last = changes[changes.length - 1];
    // Merge with the previous piece when it touches and has the same labels.
    if (last !== undefined && last.end + 1n === at && last.before === (a || null) && last.after === (b || null)) {
      last.end = next - 1n;
      continue;
    }
    changes.push({
      family,
      start: at,
      end: next - 1n,
      kind: a === 0 ? 'added' : b === 0 ? 'removed' : 'relabelled',
      before: a || null,
      after: b || null,
      operatorBefore: a === 0 ? null : (operatorOf(a) ?? 'unknown'),
      operatorAfter: b === 0 ? null : (operatorOf(b) ?? 'unknown'),
    });
  }

  const totals = { added: tally(), removed: tally(), relabelledAsn: tally(), relabelledOperator: tally() };
  const operators = new Map<string, Row>();
  const asns = new Map<number, Row>();
  const rowOf = <K>(map: Map<K, Row>, key: K): Row => {
    let r = map.get(key);
    if (r === undefined) map.set(key, (r = row()));
    return r;
  };
  for (const c of changes) {
    const size = c.end - c.start + 1n;
    if (c.kind === 'added') {
      add(totals.added, size);
      add(rowOf(asns, c.after!).added, size);
      add(rowOf(operators, c.operatorAfter!).added, size);
    } else if (c.kind === 'removed') {
      add(totals.removed, size);
      add(rowOf(asns, c.before!).removed, size);
      add(rowOf(operators, c.operatorBefore!).removed, size);
    } else {
      add(rowOf(asns, c.before!).relabelledOut, size);
      add(rowOf(asns, c.after!).relabelledIn, size);
      if (c.operatorBefore === c.operatorAfter) add(totals.relabelledAsn, size);
      else {
        add(totals.relabelledOperator, size);
        add(rowOf(operators, c.operatorBefore!).relabelledOut, size);
        add(rowOf(operators, c.operatorAfter!).relabelledIn, size);
      }
    }
  }
  return { changes, totals, operators, asns };
}

export function diffTables(
  before: { v4: readonly LabelledRange[]; v6: readonly LabelledRange[] },
  after: { v4: readonly LabelledRange[]; v6: readonly LabelledRange[] },
  operatorOf: OperatorOf,
): TableDiff {
  return { v4: diffFamily(4, before.v4, after.v4, operatorOf), v6: diffFamily(6, before.v6, after.v6, operatorOf) };
}

export function isEmpty(diff: TableDiff): boolean {
  return diff.v4.changes.length === 0 && diff.v6.changes.length === 0;
}

export function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    const n = Number(value);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  const bytes: number[] = [];
  for (let shift = 120n; shift >= 0n; shift -= 8n) bytes.push(Number((value >> shift) & 255n));
  return ipaddr.fromByteArray(bytes).toString();
}

/** A range as "a.b.c.d/n" when it is one prefix, else "first - last". */
export function formatRange(family: 4 | 6, start: bigint, end: bigint): string {
  const size = end - start + 1n;
  const bits = family === 4 ? 32 : 128;
  if ((size & (size - 1n)) === 0n && start % size === 0n) return `${formatAddress(family, start)}/${bits - (size.toString(2).length - 1)}`;
  return `${formatAddress(family, start)} - ${formatAddress(family, end)}`;
}

/** IPv4 counts in full; IPv6 counts as a number of /48s (a site), which stays readable. */
export function formatSize(family: 4 | 6, addresses: bigint): string {
  if (family === 4) return addresses.toLocaleString('en-US');
  const per48 = 1n << 80n;
  if (addresses === 0n) return '0';
  if (addresses < per48) return `<1 /48`;
  const count = addresses / per48;
  return `${count.toLocaleString('en-US')} /48${count === 1n ? '' : 's'}`;
}

const cell = (family: 4 | 6, t: Tally): string => (t.ranges === 0 ? '-' : `${t.ranges} (${formatSize(family, t.addresses)})`);

function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: string[]): string => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The readable report: totals, per-operator and per-ASN tables, and the largest changes. */
export function formatDiff(diff: TableDiff, { maxChanges = 20, asnName }: { maxChanges?: number; asnName?: (asn: number) => string | undefined } = {}): string {
  if (isEmpty(diff)) return 'Changes against the committed table: none.';
  const out: string[] = ['Changes against the committed table (ranges, then IPv4 addresses or IPv6 /48s):'];
  for (const [family, d] of [
    [4, diff.v4],
    [6, diff.v6],
  ] as const) {
    out.push('', `IPv${family}: added ${cell(family, d.totals.added)}, removed ${cell(family, d.totals.removed)}, ` +
      `relabelled to another ASN of the same operator ${cell(family, d.totals.relabelledAsn)}, to another operator ${cell(family, d.totals.relabelledOperator)}`);
    if (d.changes.length === 0) continue;
    const headers = ['', 'added', 'removed', 'relabelled in', 'relabelled out'];
    const cells = (r: Row): string[] => [cell(family, r.added), cell(family, r.removed), cell(family, r.relabelledIn), cell(family, r.relabelledOut)];
    if (d.operators.size > 0) {
      out.push('', ...table(['operator', ...headers.slice(1)], [...d.operators].sort(([a], [b]) => a.localeCompare(b)).map(([op, r]) => [op, ...cells(r)])).map((l) => `  ${l}`));
    }
    out.push(
      '',
      ...table(
        ['ASN', ...headers.slice(1)],
        [...d.asns].sort(([a], [b]) => a - b).map(([asn, r]) => [`AS${asn}${asnName?.(asn) ? ` ${asnName(asn)}` : ''}`, ...cells(r)]),
      ).map((l) => `  ${l}`),
    );
    const largest = [...d.changes].sort((a, b) => {
      const x = a.end - a.start;
      const y = b.end - b.start;
      return x > y ? -1 : x < y ? 1 : a.start < b.start ? -1 : 1;
    });
    out.push('', `  largest changes (${Math.min(maxChanges, largest.length)} of ${largest.length}):`);
    for (const c of largest.slice(0, maxChanges)) {
      const label = (asn: number | null, op: string | null): string => (asn === null ? 'not flagged' : `AS${asn} (${op})`);
      out.push(`    ${c.kind.padEnd(10)}  ${formatRange(family, c.start, c.end)}: ${label(c.before, c.operatorBefore)} -> ${label(c.after, c.operatorAfter)}`);
    }
  }
  return out.join('\n');
}

const jsonTally = (t: Tally): { ranges: number; addresses: string } => ({ ranges: t.ranges, addresses: t.addresses.toString() });
const jsonRow = (r: Row) => ({ added: jsonTally(r.added), removed: jsonTally(r.removed), relabelledIn: jsonTally(r.relabelledIn), relabelledOut: jsonTally(r.relabelledOut) });

/** The diff as plain JSON (address counts as decimal strings: IPv6 counts exceed 2^53). */
export function diffToJson(diff: TableDiff): unknown {
  const family = (f: 4 | 6, d: FamilyDiff) => ({
    totals: Object.fromEntries(Object.entries(d.totals).map(([k, t]) => [k, jsonTally(t)])),
    operators: Object.fromEntries([...d.operators].sort(([a], [b]) => a.localeCompare(b)).map(([k, r]) => [k, jsonRow(r)])),
    asns: Object.fromEntries([...d.asns].sort(([a], [b]) => a - b).map(([k, r]) => [String(k), jsonRow(r)])),
    changes: d.changes.map((c) => ({
      range: formatRange(f, c.start, c.end),
      start: formatAddress(f, c.start),
      end: formatAddress(f, c.end),
      addresses: (c.end - c.start + 1n).toString(),
      kind: c.kind,
      before: c.before,
      after: c.after,
      operatorBefore: c.operatorBefore,
      operatorAfter: c.operatorAfter,
    })),
  });
  return { v4: family(4, diff.v4), v6: family(6, diff.v6) };
}

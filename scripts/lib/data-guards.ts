import type { AsnEntry } from '../../src/engine/types.ts';

// Checks that stop a data build before it writes anything, so a bad input
// never replaces the last good table. Each returns human-readable problems
// (empty when the check passes) so the CLI can print them all.

export interface TableTotals {
  v4Ranges: number;
  v4Addresses: number;
  v6Ranges: number;
  /** Decimal string: IPv6 address counts exceed 2^53. */
  v6Addresses: string;
}

/** Largest accepted drop against the committed table, as a fraction. */
export const MAX_SHRINK = 0.1;

/**
 * A high-confidence ASN with no ranges means the data no longer matches the
 * list (a stale input or a transferred ASN): someone must look before the
 * table ships without it.
 */
export function checkHighConfidenceHaveRanges(entries: readonly AsnEntry[], asnsWithRanges: ReadonlySet<number>): string[] {
  const missing = entries.filter((e) => e.confidence === 'high' && !asnsWithRanges.has(e.asn));
  if (missing.length === 0) return [];
  const list = missing.map((e) => `AS${e.asn} (${e.name})`).join(', ');
  return [
    `${missing.length} high-confidence ASN(s) have no ranges in the data: ${list}. ` +
      'Lower the confidence in data/flagged/asns.tsv with a note saying why, or feed fresher data with --rib or --extra.',
  ];
}

/** Compares the new totals with the committed ones; a drop above MAX_SHRINK on any measure is a problem. */
export function checkShrink(previous: TableTotals, next: TableTotals, maxShrink = MAX_SHRINK): string[] {
  const problems: string[] = [];
  const measures: [string, bigint, bigint][] = [
    ['IPv4 ranges', BigInt(previous.v4Ranges), BigInt(next.v4Ranges)],
    ['IPv4 addresses', BigInt(previous.v4Addresses), BigInt(next.v4Addresses)],
    ['IPv6 ranges', BigInt(previous.v6Ranges), BigInt(next.v6Ranges)],
    ['IPv6 addresses', BigInt(previous.v6Addresses), BigInt(next.v6Addresses)],
  ];
  // Integer arithmetic in parts per million: the IPv6 counts do not fit a double exactly.
  const limit = BigInt(Math.round(maxShrink * 1_000_000));
  for (const [label, before, after] of measures) {
    if (before <= 0n || after >= before) continue;
    if ((before - after) * 1_000_000n > limit * before) {
      const percent = (Number(((before - after) * 1_000_000n) / before) / 10_000).toFixed(1);
      problems.push(
        `the table would shrink by more than ${maxShrink * 100}%: ${label} ${before} -> ${after} (-${percent}%). ` +
          'Check the inputs; pass --allow-shrink if the drop is expected.',
      );
    }
  }
  return problems;
}

/** Reads the totals of a committed ip-table-meta.json; a string is the reason it could not. */
export function readTotals(metaText: string): TableTotals | string {
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch (error) {
    return `not valid JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  const totals = typeof meta === 'object' && meta !== null ? (meta as { totals?: unknown }).totals : undefined;
  if (typeof totals !== 'object' || totals === null) return 'no "totals" object';
  const { v4Ranges, v4Addresses, v6Ranges, v6Addresses } = totals as Record<string, unknown>;
  const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!count(v4Ranges) || !count(v4Addresses) || !count(v6Ranges) || typeof v6Addresses !== 'string' || !/^[0-9]+$/.test(v6Addresses)) {
    return '"totals" must hold v4Ranges, v4Addresses, v6Ranges (numbers) and v6Addresses (a decimal string)';
  }
  return { v4Ranges, v4Addresses, v6Ranges, v6Addresses };
}

/**
 * An operator still in the curated list that had ranges in the committed
 * table must keep some: all of an operator's space disappearing means a bad
 * input, not routing news. Not waived by --allow-shrink. Reads the committed
 * meta file's per-ASN counts; an unreadable file is the shrink check's to report.
 */
export function checkNoOperatorVanishes(previousMetaText: string, next: { asns: Record<string, { operatorId: string; v4Ranges: number; v6Ranges: number }> }): string[] {
  let previous: { asns?: Record<string, { operatorId?: unknown; v4Ranges?: unknown; v6Ranges?: unknown }> };
  try {
    previous = JSON.parse(previousMetaText) as typeof previous;
  } catch {
    return [];
  }
  const rangesByOperator = (asns: Record<string, { operatorId?: unknown; v4Ranges?: unknown; v6Ranges?: unknown }>): Map<string, number> => {
    const map = new Map<string, number>();
    for (const m of Object.values(asns)) {
      if (typeof m.operatorId !== 'string') continue;
      const ranges = (typeof m.v4Ranges === 'number' ? m.v4Ranges : 0) + (typeof m.v6Ranges === 'number' ? m.v6Ranges : 0);
      map.set(m.operatorId, (map.get(m.operatorId) ?? 0) + ranges);
    }
    return map;
  };
  const before = rangesByOperator(previous.asns ?? {});
  const after = rangesByOperator(next.asns);
  const problems: string[] = [];
  for (const [operator, ranges] of after) {
    const had = before.get(operator) ?? 0;
    if (had > 0 && ranges === 0) {
      problems.push(`operator ${operator} had ${had} range(s) in the committed table and has none now: check the inputs (a RIB dump that is not a full table?)`);
    }
  }
  return problems;
}

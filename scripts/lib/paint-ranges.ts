// Resolves overlapping address intervals the way a router picks a route:
// at every address the interval with the highest priority wins (package rows
// 0, an extra prefix 1 + its length, so the more specific prefix wins), and
// among equal priorities the later input wins. It is a sweep over the
// interval endpoints with a max-heap of the open intervals, O(n log n), so a
// full BGP table (about a million prefixes) stays fast.

export interface Interval<K> {
  start: K;
  /** Inclusive. */
  end: K;
  asn: number;
  priority: number;
}

export interface Segment<K> {
  start: K;
  /** Inclusive. */
  end: K;
  asn: number;
}

/** The arithmetic the sweep needs; IPv4 uses numbers (fast), IPv6 bigints (128 bits). */
export interface AddressOps<K> {
  succ(value: K): K;
  pred(value: K): K;
}

export const V4_OPS: AddressOps<number> = { succ: (v) => v + 1, pred: (v) => v - 1 };
export const V6_OPS: AddressOps<bigint> = { succ: (v) => v + 1n, pred: (v) => v - 1n };

/**
 * Paints `intervals` (input order = tie-break order: later wins) and returns
 * the sorted, non-overlapping segments whose winning ASN passes `keep`, with
 * adjacent segments of the same ASN merged.
 */
export function paintRanges<K extends number | bigint>(
  intervals: readonly Interval<K>[],
  keep: (asn: number) => boolean,
  ops: AddressOps<K>,
): Segment<K>[] {
  const n = intervals.length;
  const starts: K[] = new Array<K>(n);
  const after: K[] = new Array<K>(n); // first address past the end
  const priority = new Int32Array(n);
  const asn = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const interval = intervals[k]!;
    starts[k] = interval.start;
    after[k] = ops.succ(interval.end);
    priority[k] = interval.priority;
    asn[k] = interval.asn;
  }
  const opens = sortedIndices(n, starts);
  const closes = sortedIndices(n, after);
  const closed = new Uint8Array(n);
  const heap = new WinnerHeap(priority);

  const out: Segment<K>[] = [];
  let segmentAsn = 0; // 0: no interval covers the current segment
  let segmentStart = starts[0] as K;
  let i = 0;
  let j = 0;
  while (j < n) {
    const nextClose = after[closes[j]!]!;
    const nextOpen = i < n ? starts[opens[i]!]! : undefined;
    const at = nextOpen !== undefined && nextOpen < nextClose ? nextOpen : nextClose;
    while (j < n && after[closes[j]!] === at) closed[closes[j++]!] = 1;
    while (i < n && starts[opens[i]!] === at) heap.push(opens[i++]!);
    while (heap.size > 0 && closed[heap.top()] === 1) heap.pop();
    const winnerAsn = heap.size > 0 ? asn[heap.top()]! : 0;
    // A boundary where the winning ASN does not change is no boundary at all:
    // that is what merges adjacent ranges of the same ASN.
    if (winnerAsn !== segmentAsn) {
      if (segmentAsn !== 0 && keep(segmentAsn)) out.push({ start: segmentStart, end: ops.pred(at), asn: segmentAsn });
      segmentAsn = winnerAsn;
      segmentStart = at;
    }
  }
  return out;
}

function sortedIndices<K extends number | bigint>(n: number, keys: readonly K[]): Uint32Array {
  const indices = new Uint32Array(n);
  for (let k = 0; k < n; k++) indices[k] = k;
  return indices.sort((a, b) => {
    const x = keys[a]!;
    const y = keys[b]!;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Max-heap of interval indices by (priority, index): the later input wins a tie. */
class WinnerHeap {
  private items: number[] = [];
  constructor(private readonly priority: Int32Array) {}

  get size(): number {
    return this.items.length;
  }

  top(): number {
    return this.items[0]!;
  }

  push(index: number): void {
    const items = this.items;
    items.push(index);
    let k = items.length - 1;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!this.beats(items[k]!, items[parent]!)) break;
      [items[k], items[parent]] = [items[parent]!, items[k]!];
      k = parent;
    }
  }

  pop(): void {
    const items = this.items;
    const last = items.pop()!;
    if (items.length === 0) return;
    items[0] = last;
    let k = 0;
    for (;;) {
      const left = k * 2 + 1;
      const right = left + 1;
      let best = k;
      if (left < items.length && this.beats(items[left]!, items[best]!)) best = left;
      if (right < items.length && this.beats(items[right]!, items[best]!)) best = right;
      if (best === k) return;
      [items[k], items[best]] = [items[best]!, items[k]!];
      k = best;
    }
  }

  private beats(a: number, b: number): boolean {
    const pa = this.priority[a]!;
    const pb = this.priority[b]!;
    return pa !== pb ? pa > pb : a > b;
  }
}

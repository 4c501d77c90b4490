import { bigIntToWords, type IpWords } from './ip-address.ts';

// The bundled prefix table: sorted, non-overlapping inclusive ranges of
// addresses, each tagged with the ASN announcing (or registered for) it.
// Ranges live in typed arrays so a lookup is a binary search with no
// allocation. The file is those arrays back to back, little-endian, so the
// service worker fetches it and views it in place: no parsing, no copy (a
// cold worker spent 16-28 ms decoding the earlier base64-in-JSON form).
//
// Layout (all little-endian):
//   0   "CWIP"            magic
//   4   u32 version (2)
//   8   u32 asnCount, u32 v4Count, u32 v6Count
//   20  u32 asns[asnCount]
//       u32 v4Start[v4Count], u32 v4End[v4Count]
//       u32 v6Start[4 * v6Count], u32 v6End[4 * v6Count]   (words most significant first)
//       u16 v4Asn[v4Count], u16 v6Asn[v6Count]              (indexes into asns; last, so
//                                                            every u32 array stays aligned)

export const IP_TABLE_VERSION = 2;
const MAGIC = 0x50495743; // "CWIP" read as a little-endian u32
const HEADER_BYTES = 20;

export interface RangeInput {
  start: bigint;
  /** Inclusive. */
  end: bigint;
  asn: number;
}

export interface AsnTotals {
  v4Ranges: number;
  v4Addresses: number;
  v6Ranges: number;
  v6Addresses: bigint;
}

export class IpTableError extends Error {
  override name = 'IpTableError';
}

export class IpTable {
  private constructor(
    /** ASN by index. */
    readonly asnByIndex: Uint32Array,
    private readonly v4Start: Uint32Array,
    private readonly v4End: Uint32Array,
    private readonly v4Asn: Uint16Array,
    /** 4 words a range, most significant first. */
    private readonly v6Start: Uint32Array,
    private readonly v6End: Uint32Array,
    private readonly v6Asn: Uint16Array,
  ) {}

  get v4Count(): number {
    return this.v4Asn.length;
  }

  get v6Count(): number {
    return this.v6Asn.length;
  }

  /** ASN of the range holding this IPv4 address (as an unsigned 32-bit number), or 0. */
  lookupV4(address: number): number {
    const starts = this.v4Start;
    // Find the last range whose start is <= address.
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= address) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0 || address > this.v4End[found]!) return 0;
    return this.asnByIndex[this.v4Asn[found]!]!;
  }

  /** ASN of the range holding this IPv6 address, or 0. */
  lookupV6(words: readonly number[]): number {
    const starts = this.v6Start;
    let lo = 0;
    let hi = this.v6Asn.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareWords(starts, mid * 4, words) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0 || compareWords(this.v6End, found * 4, words) < 0) return 0;
    return this.asnByIndex[this.v6Asn[found]!]!;
  }

  /**
   * Ranges and addresses per ASN, straight from the arrays: what the data
   * bundle guards compare (src/data/bundle.ts). IPv4 counts fit a double;
   * IPv6 counts are BigInt, made once per range rather than per bound.
   */
  totalsByAsn(): Map<number, AsnTotals> {
    const totals = new Map<number, AsnTotals>();
    const of = (index: number): AsnTotals => {
      const asn = this.asnByIndex[index]!;
      let t = totals.get(asn);
      if (!t) totals.set(asn, (t = { v4Ranges: 0, v4Addresses: 0, v6Ranges: 0, v6Addresses: 0n }));
      return t;
    };
    for (let i = 0; i < this.v4Asn.length; i++) {
      const t = of(this.v4Asn[i]!);
      t.v4Ranges++;
      t.v4Addresses += this.v4End[i]! - this.v4Start[i]! + 1;
    }
    for (let i = 0; i < this.v6Asn.length; i++) {
      const t = of(this.v6Asn[i]!);
      t.v6Ranges++;
      t.v6Addresses += bigFrom(this.v6End, i * 4) - bigFrom(this.v6Start, i * 4) + 1n;
    }
    return totals;
  }

  /** Every range, for tests, the naive baseline and the CLI's dump. Not for the hot path. */
  *ranges(family: 4 | 6): Generator<RangeInput> {
    if (family === 4) {
      for (let i = 0; i < this.v4Asn.length; i++) {
        yield { start: BigInt(this.v4Start[i]!), end: BigInt(this.v4End[i]!), asn: this.asnByIndex[this.v4Asn[i]!]! };
      }
      return;
    }
    for (let i = 0; i < this.v6Asn.length; i++) {
      yield { start: bigFrom(this.v6Start, i * 4), end: bigFrom(this.v6End, i * 4), asn: this.asnByIndex[this.v6Asn[i]!]! };
    }
  }

  /** Builds a table from ranges in any order; overlapping ranges are an error (the pipeline resolves them first). */
  static fromRanges(v4: readonly RangeInput[], v6: readonly RangeInput[]): IpTable {
    return IpTable.decode(encodeIpTable(v4, v6));
  }

  /**
   * Loads the table file; throws IpTableError on a malformed one (the caller
   * keeps its last good table). `verifyOrder: false` skips the per-range
   * checks for a file whose order was verified when it was built.
   */
  static decode(file: ArrayBuffer | Uint8Array, { verifyOrder = true }: { verifyOrder?: boolean } = {}): IpTable {
    const bytes = file instanceof Uint8Array ? file : new Uint8Array(file);
    if (bytes.byteLength < HEADER_BYTES) throw new IpTableError('IP table: file too short for its header');
    const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
    if (header.getUint32(0, true) !== MAGIC) throw new IpTableError('IP table: not a Carrier Watch table (bad magic)');
    const version = header.getUint32(4, true);
    if (version !== IP_TABLE_VERSION) throw new IpTableError(`IP table: unsupported version ${version}`);
    const asnCount = header.getUint32(8, true);
    const v4Count = header.getUint32(12, true);
    const v6Count = header.getUint32(16, true);
    const u32Words = asnCount + 2 * v4Count + 8 * v6Count;
    const expected = HEADER_BYTES + 4 * u32Words + 2 * (v4Count + v6Count);
    if (bytes.byteLength !== expected) {
      throw new IpTableError(`IP table: ${bytes.byteLength} bytes where its header promises ${expected}`);
    }
    // View in place where the platform is little-endian and the bytes are
    // aligned (a fetched ArrayBuffer is); otherwise copy through DataView.
    const inPlace = LITTLE_ENDIAN && bytes.byteOffset % 4 === 0;
    const u32 = inPlace ? new Uint32Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, u32Words) : copyU32(bytes, HEADER_BYTES, u32Words);
    const u16Offset = HEADER_BYTES + 4 * u32Words;
    const u16 = inPlace ? new Uint16Array(bytes.buffer, bytes.byteOffset + u16Offset, v4Count + v6Count) : copyU16(bytes, u16Offset, v4Count + v6Count);
    let at = 0;
    const take = (n: number) => u32.subarray(at, (at += n));
    const asnByIndex = take(asnCount);
    const v4Start = take(v4Count);
    const v4End = take(v4Count);
    const v6Start = take(4 * v6Count);
    const v6End = take(4 * v6Count);
    const v4Asn = u16.subarray(0, v4Count);
    const v6Asn = u16.subarray(v4Count);
    if (!verifyOrder) return new IpTable(asnByIndex, v4Start, v4End, v4Asn, v6Start, v6End, v6Asn);
    for (let i = 0; i < asnCount; i++) if (asnByIndex[i] === 0) throw new IpTableError('IP table: AS number 0 in the ASN list');
    for (let i = 0; i < u16.length; i++) {
      if (u16[i]! >= asnCount) throw new IpTableError(`IP table: ASN index ${u16[i]} out of range`);
    }
    for (let i = 0; i < v4Count; i++) {
      if (v4End[i]! < v4Start[i]! || (i > 0 && v4Start[i]! <= v4End[i - 1]!)) {
        throw new IpTableError(`IP table: v4 range ${i} is empty, out of order or overlaps the one before`);
      }
    }
    for (let i = 0; i < v6Count; i++) {
      if (compareWords(v6End, i * 4, v6Start.subarray(i * 4, i * 4 + 4)) < 0 || (i > 0 && compareWords(v6Start, i * 4, v6End.subarray(i * 4 - 4, i * 4)) <= 0)) {
        throw new IpTableError(`IP table: v6 range ${i} is empty, out of order or overlaps the one before`);
      }
    }
    return new IpTable(asnByIndex, v4Start, v4End, v4Asn, v6Start, v6End, v6Asn);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function copyU32(bytes: Uint8Array, offset: number, count: number): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

function copyU16(bytes: Uint8Array, offset: number, count: number): Uint16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
  return out;
}

/** Compares the 4 words at `offset` of `array` with `words`: <0, 0, >0. */
function compareWords(array: Uint32Array, offset: number, words: ArrayLike<number>): number {
  for (let k = 0; k < 4; k++) {
    const a = array[offset + k]!;
    const b = words[k]! >>> 0;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

function bigFrom(array: Uint32Array, offset: number): bigint {
  let value = 0n;
  for (let k = 0; k < 4; k++) value = (value << 32n) | BigInt(array[offset + k]!);
  return value;
}

/** Writes ranges (sorted here) as the table file. Throws IpTableError on overlap or bad bounds. */
export function encodeIpTable(v4: readonly RangeInput[], v6: readonly RangeInput[]): Uint8Array {
  const asns: number[] = [];
  const indexOf = new Map<number, number>();
  const asnIndex = (asn: number): number => {
    let index = indexOf.get(asn);
    if (index === undefined) {
      index = asns.length;
      if (index > 0xffff) throw new IpTableError('IP table: more than 65,536 ASNs');
      asns.push(asn);
      indexOf.set(asn, index);
    }
    return index;
  };
  const sorted = (ranges: readonly RangeInput[], max: bigint, family: string): RangeInput[] => {
    const list = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    list.forEach((r, i) => {
      if (r.start < 0n || r.end > max || r.end < r.start) throw new IpTableError(`IP table: bad ${family} range ${r.start}-${r.end}`);
      const before = list[i - 1];
      if (before && r.start <= before.end) throw new IpTableError(`IP table: ${family} ranges overlap at ${r.start}`);
      if (!Number.isInteger(r.asn) || r.asn <= 0 || r.asn > 0xffffffff) throw new IpTableError(`IP table: bad ASN ${r.asn}`);
    });
    return list;
  };
  const list4 = sorted(v4, 0xffffffffn, 'IPv4');
  const list6 = sorted(v6, (1n << 128n) - 1n, 'IPv6');
  const asn4 = list4.map((r) => asnIndex(r.asn));
  const asn6 = list6.map((r) => asnIndex(r.asn));
  const u32: number[] = [
    ...asns,
    ...list4.map((r) => Number(r.start)),
    ...list4.map((r) => Number(r.end)),
    ...list6.flatMap((r) => bigIntToWords(r.start)),
    ...list6.flatMap((r) => bigIntToWords(r.end)),
  ];
  const bytes = new Uint8Array(HEADER_BYTES + 4 * u32.length + 2 * (asn4.length + asn6.length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, IP_TABLE_VERSION, true);
  view.setUint32(8, asns.length, true);
  view.setUint32(12, list4.length, true);
  view.setUint32(16, list6.length, true);
  let at = HEADER_BYTES;
  for (const word of u32) {
    view.setUint32(at, word, true);
    at += 4;
  }
  for (const index of [...asn4, ...asn6]) {
    view.setUint16(at, index, true);
    at += 2;
  }
  return bytes;
}

export type { IpWords };

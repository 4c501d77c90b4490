import { bigIntToWords, type IpWords } from './ip-address.ts';

// The bundled prefix table: sorted, non-overlapping inclusive ranges of
// addresses, each tagged with the ASN announcing (or registered for) it.
// Ranges live in typed arrays so a lookup is a binary search with no
// allocation; the serialized form is base64 of those arrays so the service
// worker loads it with one JSON.parse and a copy, not thousands of objects.

export const IP_TABLE_FORMAT = 1;

export interface SerializedIpTable {
  format: typeof IP_TABLE_FORMAT;
  /** ASN of each index used by the *Asn arrays. */
  asns: number[];
  /** base64 of little-endian Uint32 pairs: start, end (inclusive). */
  v4: string;
  /** base64 of little-endian Uint16: index into `asns`, one per v4 range. */
  v4Asn: string;
  /** base64 of little-endian Uint32 octets: start words (4, most significant first), end words (4). */
  v6: string;
  /** base64 of little-endian Uint16: index into `asns`, one per v6 range. */
  v6Asn: string;
}

export interface RangeInput {
  start: bigint;
  /** Inclusive. */
  end: bigint;
  asn: number;
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

  /** Loads the serialized table; throws IpTableError on a malformed one (the caller keeps its last good table). */
  static decode(table: SerializedIpTable): IpTable {
    if (table?.format !== IP_TABLE_FORMAT) throw new IpTableError(`unsupported IP table format: ${String(table?.format)}`);
    if (!Array.isArray(table.asns) || table.asns.some((a) => !Number.isInteger(a) || a <= 0 || a > 0xffffffff)) {
      throw new IpTableError('IP table: "asns" must be a list of AS numbers');
    }
    const asnByIndex = Uint32Array.from(table.asns);
    const v4 = decodeUint32(table.v4, 'v4');
    const v4Asn = decodeUint16(table.v4Asn, 'v4Asn');
    const v6 = decodeUint32(table.v6, 'v6');
    const v6Asn = decodeUint16(table.v6Asn, 'v6Asn');
    if (v4.length !== v4Asn.length * 2) throw new IpTableError('IP table: v4 ranges and v4Asn differ in length');
    if (v6.length !== v6Asn.length * 8) throw new IpTableError('IP table: v6 ranges and v6Asn differ in length');
    for (const index of [...v4Asn, ...v6Asn]) {
      if (index >= asnByIndex.length) throw new IpTableError(`IP table: ASN index ${index} out of range`);
    }
    const v4Start = new Uint32Array(v4Asn.length);
    const v4End = new Uint32Array(v4Asn.length);
    for (let i = 0; i < v4Asn.length; i++) {
      v4Start[i] = v4[i * 2]!;
      v4End[i] = v4[i * 2 + 1]!;
      if (v4End[i]! < v4Start[i]! || (i > 0 && v4Start[i]! <= v4End[i - 1]!)) {
        throw new IpTableError(`IP table: v4 range ${i} is empty, out of order or overlaps the one before`);
      }
    }
    const v6Start = new Uint32Array(v6Asn.length * 4);
    const v6End = new Uint32Array(v6Asn.length * 4);
    for (let i = 0; i < v6Asn.length; i++) {
      v6Start.set(v6.subarray(i * 8, i * 8 + 4), i * 4);
      v6End.set(v6.subarray(i * 8 + 4, i * 8 + 8), i * 4);
      const start = bigFrom(v6Start, i * 4);
      if (bigFrom(v6End, i * 4) < start || (i > 0 && start <= bigFrom(v6End, (i - 1) * 4))) {
        throw new IpTableError(`IP table: v6 range ${i} is empty, out of order or overlaps the one before`);
      }
    }
    return new IpTable(asnByIndex, v4Start, v4End, v4Asn, v6Start, v6End, v6Asn);
  }
}

/** Compares the 4 words at `offset` of `array` with `words`: <0, 0, >0. */
function compareWords(array: Uint32Array, offset: number, words: readonly number[]): number {
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

/** Serializes ranges (sorted here) into the bundled form. Throws IpTableError on overlap or bad bounds. */
export function encodeIpTable(v4: readonly RangeInput[], v6: readonly RangeInput[]): SerializedIpTable {
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
      if (!Number.isInteger(r.asn) || r.asn <= 0) throw new IpTableError(`IP table: bad ASN ${r.asn}`);
    });
    return list;
  };
  const list4 = sorted(v4, 0xffffffffn, 'IPv4');
  const list6 = sorted(v6, (1n << 128n) - 1n, 'IPv6');
  const words4 = new Uint32Array(list4.length * 2);
  const asn4 = new Uint16Array(list4.length);
  list4.forEach((r, i) => {
    words4[i * 2] = Number(r.start);
    words4[i * 2 + 1] = Number(r.end);
    asn4[i] = asnIndex(r.asn);
  });
  const words6 = new Uint32Array(list6.length * 8);
  const asn6 = new Uint16Array(list6.length);
  list6.forEach((r, i) => {
    words6.set(bigIntToWords(r.start), i * 8);
    words6.set(bigIntToWords(r.end), i * 8 + 4);
    asn6[i] = asnIndex(r.asn);
  });
  return {
    format: IP_TABLE_FORMAT,
    asns,
    v4: toBase64(littleEndianBytes(words4, 4)),
    v4Asn: toBase64(littleEndianBytes(asn4, 2)),
    v6: toBase64(littleEndianBytes(words6, 4)),
    v6Asn: toBase64(littleEndianBytes(asn6, 2)),
  };
}

// Little-endian on every platform, through DataView, so the file means the
// same thing wherever it is built or read.
function littleEndianBytes(values: Uint32Array | Uint16Array, width: 2 | 4): Uint8Array {
  const bytes = new Uint8Array(values.length * width);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => (width === 4 ? view.setUint32(i * 4, v, true) : view.setUint16(i * 2, v, true)));
  return bytes;
}

function decodeBytes(text: unknown, field: string, width: number): DataView {
  if (typeof text !== 'string') throw new IpTableError(`IP table: "${field}" must be a base64 string`);
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new IpTableError(`IP table: "${field}" is not valid base64`);
  }
  if (binary.length % width !== 0) throw new IpTableError(`IP table: "${field}" has a partial entry`);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new DataView(bytes.buffer);
}

function decodeUint32(text: unknown, field: string): Uint32Array {
  const view = decodeBytes(text, field, 4);
  const out = new Uint32Array(view.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

function decodeUint16(text: unknown, field: string): Uint16Array {
  const view = decodeBytes(text, field, 2);
  const out = new Uint16Array(view.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint16(i * 2, true);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export type { IpWords };

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigIntToWords } from './ip-address.ts';
import { encodeIpTable, IpTable, IpTableError, type RangeInput } from './ip-table.ts';

const v4 = (start: number, end: number, asn: number): RangeInput => ({ start: BigInt(start), end: BigInt(end), asn });

/** The obvious answer: scan every range. The table must agree with it. */
function linearScan(ranges: readonly RangeInput[], address: bigint): number {
  return ranges.find((r) => r.start <= address && address <= r.end)?.asn ?? 0;
}

/** Random non-overlapping ranges over a space of `bits` bits. */
function randomRanges(bits: number, count: number, seed: number): RangeInput[] {
  let state = BigInt(seed) | 1n;
  const next = (limit: bigint) => {
    state = (state * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    return ((state >> 11n) * limit) >> 53n;
  };
  const max = (1n << BigInt(bits)) - 1n;
  const step = max / BigInt(count * 2);
  const out: RangeInput[] = [];
  let cursor = next(step);
  for (let i = 0; i < count && cursor < max; i++) {
    const end = cursor + next(step);
    if (end > max) break;
    out.push({ start: cursor, end, asn: 1 + Number(next(50n)) });
    cursor = end + 1n + next(step);
  }
  return out;
}

describe('IpTable', () => {
  const table = IpTable.fromRanges([v4(100, 199, 4134), v4(10, 20, 9808), v4(200, 200, 4837)], []);

  it('finds the range holding an address, and only inside it', () => {
    expect(table.lookupV4(9)).toBe(0);
    expect(table.lookupV4(10)).toBe(9808);
    expect(table.lookupV4(20)).toBe(9808);
    expect(table.lookupV4(21)).toBe(0);
    expect(table.lookupV4(150)).toBe(4134);
    expect(table.lookupV4(200)).toBe(4837);
    expect(table.lookupV4(201)).toBe(0);
    expect(table.lookupV4(0xffffffff)).toBe(0);
  });

  it('handles the ends of the address space', () => {
    const edges = IpTable.fromRanges([v4(0, 0, 1), v4(0xffffffff, 0xffffffff, 2)], [
      { start: 0n, end: 0n, asn: 3 },
      { start: (1n << 128n) - 1n, end: (1n << 128n) - 1n, asn: 4 },
    ]);
    expect(edges.lookupV4(0)).toBe(1);
    expect(edges.lookupV4(0xffffffff)).toBe(2);
    expect(edges.lookupV6([0, 0, 0, 0])).toBe(3);
    expect(edges.lookupV6([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff])).toBe(4);
    expect(edges.lookupV6([0, 0, 0, 1])).toBe(0);
  });

  it('an empty table finds nothing', () => {
    const empty = IpTable.fromRanges([], []);
    expect(empty.lookupV4(123)).toBe(0);
    expect(empty.lookupV6([1, 2, 3, 4])).toBe(0);
  });

  it('agrees with a linear scan for thousands of random IPv4 addresses', () => {
    const ranges = randomRanges(32, 3000, 7);
    const random = IpTable.fromRanges(ranges, []);
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (address) => {
        expect(random.lookupV4(address)).toBe(linearScan(ranges, BigInt(address)));
      }),
      { numRuns: 5000 },
    );
    // Every boundary, where off-by-one errors live.
    for (const r of ranges.slice(0, 500)) {
      for (const address of [r.start - 1n, r.start, r.end, r.end + 1n]) {
        if (address < 0n || address > 0xffffffffn) continue;
        expect(random.lookupV4(Number(address))).toBe(linearScan(ranges, address));
      }
    }
  });

  it('agrees with a linear scan for thousands of random IPv6 addresses', () => {
    const ranges = randomRanges(128, 1000, 11);
    const random = IpTable.fromRanges([], ranges);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (address) => {
        expect(random.lookupV6(bigIntToWords(address))).toBe(linearScan(ranges, address));
      }),
      { numRuns: 3000 },
    );
    for (const r of ranges) {
      for (const address of [r.start - 1n, r.start, r.end, r.end + 1n]) {
        if (address < 0n) continue;
        expect(random.lookupV6(bigIntToWords(address))).toBe(linearScan(ranges, address));
      }
    }
  });

  it('round-trips through its file form, aligned or not', () => {
    const ranges = randomRanges(32, 200, 3);
    const v6 = randomRanges(128, 50, 5);
    const file = encodeIpTable(ranges, v6);
    expect([...IpTable.decode(file).ranges(4)]).toEqual(ranges);
    // An unaligned copy (a Node Buffer slice may be) is read through DataView instead.
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const unaligned = IpTable.decode(shifted.subarray(1));
    expect([...unaligned.ranges(4)]).toEqual(ranges);
    expect([...unaligned.ranges(6)]).toEqual(v6);
  });

  it('refuses overlapping ranges', () => {
    expect(() => encodeIpTable([v4(1, 10, 1), v4(10, 20, 2)], [])).toThrow(/overlap/);
  });

  /** A valid file with one u32 or byte changed. */
  const corrupt = (change: (view: DataView, bytes: Uint8Array) => void): Uint8Array => {
    const bytes = encodeIpTable([v4(1, 2, 1), v4(5, 6, 1)], []);
    change(new DataView(bytes.buffer), bytes);
    return bytes;
  };
  it.each([
    ['a foreign file', new TextEncoder().encode('{"format":1}')],
    ['a wrong version', corrupt((v) => v.setUint32(4, 9, true))],
    ['a truncated file', encodeIpTable([v4(1, 2, 1)], []).subarray(0, 30)],
    ['counts that disagree with the size', corrupt((v) => v.setUint32(12, 3, true))],
    ['an ASN index out of range', corrupt((v, b) => v.setUint16(b.length - 2, 7, true))],
    ['an empty range', corrupt((v) => v.setUint32(24, 9, true))], // the first range's start (1) becomes 9, past its end (2)
    ['ranges out of order', corrupt((v) => v.setUint32(28, 2, true))], // the second start (5) becomes 2, inside the first range
  ])('rejects %s with a clear error', (_label, file) => {
    expect(() => IpTable.decode(file)).toThrow(IpTableError);
  });
});

import { describe, expect, it } from 'vitest';
import { diffFamily, diffTables, diffToJson, formatDiff, formatRange, formatSize, isEmpty, type LabelledRange } from './lib/table-diff.ts';

// The report of what a data build changes against the committed table.

const OPERATORS: Record<number, string> = { 1: 'china-telecom', 2: 'china-telecom', 3: 'china-mobile' };
const operatorOf = (asn: number): string | undefined => OPERATORS[asn];
const r = (start: number, end: number, asn: number): LabelledRange => ({ start: BigInt(start), end: BigInt(end), asn });

describe('diffFamily', () => {
  it('finds nothing between equal tables, whatever their ranges', () => {
    const d = diffFamily(4, [r(0, 9, 1), r(20, 29, 3)], [r(0, 9, 1), r(20, 29, 3)], operatorOf);
    expect(d.changes).toEqual([]);
    expect(d.operators.size + d.asns.size).toBe(0);
    expect(isEmpty(diffTables({ v4: [], v6: [] }, { v4: [], v6: [] }, operatorOf))).toBe(true);
  });

  it('splits ranges into added, removed and relabelled pieces, merging touching pieces with the same labels', () => {
    const before = [r(0, 99, 1), r(200, 209, 3)];
    const after = [r(0, 9, 1), r(10, 19, 2), r(20, 29, 3), r(30, 49, 3), r(100, 109, 3), r(205, 209, 3)];
    const d = diffFamily(4, before, after, operatorOf);
    expect(d.changes.map((c) => [Number(c.start), Number(c.end), c.kind, c.before, c.after])).toEqual([
      [10, 19, 'relabelled', 1, 2],
      [20, 49, 'relabelled', 1, 3],
      [50, 99, 'removed', 1, null],
      [100, 109, 'added', null, 3],
      [200, 204, 'removed', 3, null],
    ]);
    expect(d.changes[1]).toMatchObject({ operatorBefore: 'china-telecom', operatorAfter: 'china-mobile' });
    expect(d.totals).toEqual({
      added: { ranges: 1, addresses: 10n },
      removed: { ranges: 2, addresses: 55n },
      relabelledAsn: { ranges: 1, addresses: 10n },
      relabelledOperator: { ranges: 1, addresses: 30n },
    });
  });

  it('sums per ASN, and per operator only what crosses operators', () => {
    const d = diffFamily(4, [r(0, 99, 1)], [r(0, 9, 2), r(10, 39, 3), r(40, 99, 1), r(500, 503, 2)], operatorOf);
    expect(d.asns.get(1)).toEqual({
      added: { ranges: 0, addresses: 0n },
      removed: { ranges: 0, addresses: 0n },
      relabelledIn: { ranges: 0, addresses: 0n },
      relabelledOut: { ranges: 2, addresses: 40n },
    });
    expect(d.asns.get(2)).toMatchObject({ added: { ranges: 1, addresses: 4n }, relabelledIn: { ranges: 1, addresses: 10n } });
    // AS1 -> AS2 is inside china-telecom: not an operator change.
    expect(d.operators.get('china-telecom')).toMatchObject({ added: { ranges: 1, addresses: 4n }, relabelledOut: { ranges: 1, addresses: 30n }, relabelledIn: { ranges: 0, addresses: 0n } });
    expect(d.operators.get('china-mobile')).toMatchObject({ relabelledIn: { ranges: 1, addresses: 30n } });
  });

  it('names an ASN that no meta knows "unknown" and handles the top of the IPv6 space', () => {
    const top = (1n << 128n) - 1n;
    const d = diffFamily(6, [{ start: top - 255n, end: top, asn: 9 }], [], operatorOf);
    expect(d.changes).toEqual([{ family: 6, start: top - 255n, end: top, kind: 'removed', before: 9, after: null, operatorBefore: 'unknown', operatorAfter: null }]);
  });
});

describe('formatting', () => {
  it('writes a range as a prefix when it is one, else first - last', () => {
    expect(formatRange(4, 0x0a000000n, 0x0a0000ffn)).toBe('10.0.0.0/24');
    expect(formatRange(4, 0x0a000000n, 0x0a0002ffn)).toBe('10.0.0.0 - 10.0.2.255');
    expect(formatRange(4, 0x0a000100n, 0x0a0002ffn)).toBe('10.0.1.0 - 10.0.2.255');
    expect(formatRange(6, 0x2a04f5808010n << 80n, (0x2a04f5808012n << 80n) - 1n)).toBe('2a04:f580:8010::/47');
    expect(formatSize(4, 65536n)).toBe('65,536');
    expect(formatSize(6, 3n << 80n)).toBe('3 /48s');
    expect(formatSize(6, 1n << 64n)).toBe('<1 /48');
  });

  it('prints readable tables and JSON with decimal-string counts', () => {
    const diff = diffTables({ v4: [r(0x0a000000, 0x0a0000ff, 1)], v6: [] }, { v4: [r(0x0a000000, 0x0a0000ff, 3)], v6: [{ start: 0n, end: (1n << 80n) - 1n, asn: 2 }] }, operatorOf);
    const text = formatDiff(diff, { asnName: (asn) => (asn === 3 ? 'Example Mobile' : undefined) });
    expect(text).toMatch(/IPv4: added -, removed -, relabelled to another ASN of the same operator -, to another operator 1 \(256\)/);
    expect(text).toMatch(/china-mobile\s+-\s+-\s+1 \(256\)\s+-/);
    expect(text).toMatch(/AS3 Example Mobile/);
    expect(text).toMatch(/relabelled\s+10\.0\.0\.0\/24: AS1 \(china-telecom\) -> AS3 \(china-mobile\)/);
    expect(text).toMatch(/added\s+::\/48: not flagged -> AS2 \(china-telecom\)/);
    expect(formatDiff(diffTables({ v4: [], v6: [] }, { v4: [], v6: [] }, operatorOf))).toBe('Changes against the committed table: none.');
    const json = diffToJson(diff) as { v6: { changes: unknown[]; asns: Record<string, unknown> } };
    expect(json.v6.changes).toEqual([
      { range: '::/48', start: '::', end: '::ffff:ffff:ffff:ffff:ffff', addresses: String(1n << 80n), kind: 'added', before: null, after: 2, operatorBefore: null, operatorAfter: 'china-telecom' },
    ]);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});

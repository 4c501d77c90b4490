import ipaddr from 'ipaddr.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, parseIPv4, parseIPv6, parseIp, wordsToBigInt } from './ip-address.ts';

describe('parseIPv4', () => {
  it('reads dotted quads', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('1.2.3.4')).toBe(0x01020304);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
  });

  it.each(['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..3.4', '1.2.3.', ' 1.2.3.4', 'a.b.c.d', '1.2.3.-4', ''])(
    'rejects %j',
    (text) => expect(parseIPv4(text)).toBeUndefined(),
  );

  it('agrees with ipaddr.js on every valid address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (text) => {
        expect(parseIPv4(text)).toBe(ipaddr.IPv4.parse(text).toByteArray().reduce((n, b) => n * 256 + b, 0));
        expect(formatIPv4(parseIPv4(text)!)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});

// Where parseIPv6 parts from ipaddr.js on purpose, as browsers do: "::a.b.c.d"
// is the RFC 4291 IPv4-compatible address (ipaddr.js turns it into
// ::ffff:a.b.c.d), and an embedded IPv4 must be a strict dotted quad.
const STRICT_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const strictTail = (text: string) => !text.includes('.') || STRICT_QUAD.test(text.slice(text.lastIndexOf(':') + 1));
function rfcValue(text: string): bigint {
  const deprecated = /^::(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (deprecated) return BigInt(parseIPv4(deprecated[1]!)!);
  return ipaddr.IPv6.parse(text).toByteArray().reduce((n, b) => n * 256n + BigInt(b), 0n);
}

describe('parseIp', () => {
  it('reads IPv6 in every written form', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const parsed = parseIp(text);
        expect(parsed.ok).toBe(true);
        const words = parseIPv6(text);
        expect(words).toBeDefined();
        expect(wordsToBigInt(words!)).toBe(rfcValue(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly what ipaddr.js accepts as IPv6, on near-miss strings too', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.:'.split(''), '::', 'g', '12345', '1.2.3.4', '256.1.1.1');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 16 }).map((parts) => parts.join('')), (text) => {
        const ours = parseIPv6(text);
        // ipaddr.js also accepts zone ids and brackets; parseIp strips those before parseIPv6.
        const theirs = !text.includes('%') && ipaddr.IPv6.isValid(text) && strictTail(text);
        expect(ours !== undefined, text).toBe(theirs);
        if (ours && theirs) expect(wordsToBigInt(ours)).toBe(rfcValue(text));
      }),
      { numRuns: 20_000 },
    );
    for (const text of ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4']) {
      expect(parseIPv6(text), text).toBeDefined();
    }
    for (const text of [':::', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1::', '1:2:3:4:5:6:7', '12345::', '1.2.3.4::', '::1.2.3.4:1', '1:2:3:4:5:6:7:1.2.3.4']) {
      expect(parseIPv6(text), text).toBeUndefined();
    }
  });

  it('turns IPv4-mapped and NAT64 addresses into the IPv4 address they carry', () => {
    expect(parseIp('::ffff:202.97.1.1')).toEqual({ ok: true, family: 4, value: parseIPv4('202.97.1.1'), via: 'ipv4-mapped' });
    expect(parseIp('::ffff:ca61:101')).toEqual({ ok: true, family: 4, value: parseIPv4('202.97.1.1'), via: 'ipv4-mapped' });
    expect(parseIp('64:ff9b::202.97.1.1')).toEqual({ ok: true, family: 4, value: parseIPv4('202.97.1.1'), via: 'nat64' });
    expect(parseIp('64:ff9b::ca61:101')).toEqual({ ok: true, family: 4, value: parseIPv4('202.97.1.1'), via: 'nat64' });
  });

  it('accepts brackets and zone ids', () => {
    expect(parseIp('[240e::1]')).toMatchObject({ ok: true, family: 6 });
    expect(parseIp('fe80::1%eth0')).toMatchObject({ ok: true, family: 6 });
  });

  it.each(['', 'example.com', '1.2.3.999', '2001:db8::g', ':::', '1:2:3:4:5:6:7:8:9', '[1.2.3.4'])(
    'gives a reason for %j and never throws',
    (text) => {
      const parsed = parseIp(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toMatch(/\S/);
    },
  );

  it('never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), (text) => void parseIp(text)), { numRuns: 2000 });
  });
});

import ipaddr from 'ipaddr.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, parseIPv4, parseIp, wordsToBigInt } from './ip-address.ts';

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

describe('parseIp', () => {
  it('reads IPv6 in every written form', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const parsed = parseIp(text);
        expect(parsed.ok).toBe(true);
        const bytes = ipaddr.IPv6.parse(text).toByteArray();
        const expected = bytes.reduce((n, b) => n * 256n + BigInt(b), 0n);
        if (parsed.ok && parsed.family === 6) expect(wordsToBigInt(parsed.words)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
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

import { beforeEach, describe, expect, it } from 'vitest';
import { parseAsn, validateCidr, validateDomain } from '../engine/user-entries.ts';
import { checkAsn, checkCidr, checkDomain, checkRetention } from './entry-checks.ts';
import { useLocale } from './test-support.ts';

beforeEach(() => useLocale('en'));

const CIDRS = ['203.0.113.0/24', '10.0.0.1/8', '10.0.0.0/40', '10.0.0.0/x', '300.1.1.1/8', '1.2.3.4', '2001:db8::/32', '2001:db8::1/32', '', 'abc', '1.2.3.0/24/1', ' 192.0.2.0/24 '];
const DOMAINS = ['example.cn', '*.example.cn', 'bad..name', '1.2.3.4', '', 'exa mple.cn', 'Bücher.example', '-bad.cn', 'a_b.cn'];
const ASNS = ['AS4134', 'as4134', '4134', '0', 'ASX', '4294967296', ' 9808 '];

describe('the options page agrees with the engine on what is valid', () => {
  it.each(CIDRS)('CIDR %j', (input) => expect(checkCidr(input).ok).toBe(validateCidr(input).ok));
  it.each(DOMAINS)('domain %j', (input) => expect(checkDomain(input).ok).toBe(validateDomain(input).ok));
  it.each(ASNS)('ASN %j', (input) => expect(checkAsn(input).ok).toBe(parseAsn(input) !== undefined));
});

describe('messages name the bad entry and say what is wrong', () => {
  it('CIDR', () => {
    expect(checkCidr('10.0.0.1/8')).toEqual({ ok: false, message: '"10.0.0.1/8" is not a valid CIDR range: the address has bits set past the prefix. Did you mean 10.0.0.0/8?' });
    expect(checkCidr('10.0.0.0/40')).toMatchObject({ message: expect.stringContaining('from 0 to 32') });
    expect(checkCidr('300.1.1.1/8')).toMatchObject({ message: expect.stringContaining('"300.1.1.1" is not an IP address') });
    expect(checkCidr('2001:db8::1/32')).toMatchObject({ message: expect.stringContaining('Did you mean 2001:db8::/32?') });
    expect(checkCidr(' 192.0.2.0/24 ')).toEqual({ ok: true, value: '192.0.2.0/24' });
  });

  it('domain, site and ASN', () => {
    expect(checkDomain('1.2.3.4')).toMatchObject({ message: '"1.2.3.4" is an IP address, not a domain: add it as an address range.' });
    expect(checkDomain('bad..name')).toMatchObject({ message: '"bad..name" is not a valid domain name.' });
    expect(checkDomain('bad..name', 'site')).toMatchObject({ message: expect.stringContaining('not a valid site name') });
    expect(checkAsn('ASX')).toMatchObject({ message: expect.stringMatching(/^"ASX" is not an AS number/) });
  });

  it('retention', () => {
    expect(checkRetention('30', 365)).toEqual({ ok: true, value: 30 });
    expect(checkRetention('0', 365).ok).toBe(false);
    expect(checkRetention('2.5', 365)).toMatchObject({ message: '"2.5" is not a number of days from 1 to 365.' });
  });

  it('in Chinese', () => {
    useLocale('zh_CN');
    expect(checkCidr('10.0.0.1/8')).toMatchObject({ message: expect.stringContaining('“10.0.0.1/8”不是有效的 CIDR 地址段') });
  });
});

import { describe, expect, it } from 'vitest';
import { parseSettings, DEFAULT_SETTINGS } from './settings.ts';
import { parseAsn, validateCidr, validateDomain, validateUserEntries } from './user-entries.ts';

describe('validateCidr', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['203.0.113.7', '203.0.113.7/32'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['240e::1', '240e::1/128'],
    [' 10.0.0.0/8 ', '10.0.0.0/8'],
  ])('%j is valid as %j', (input, canonical) => expect(validateCidr(input)).toEqual({ ok: true, value: canonical }));

  it.each([
    ['10.0.0.0/33', /10\.0\.0\.0\/33.*0-32/],
    ['10.0.0.1/8', /10\.0\.0\.1\/8.*host bits.*10\.0\.0\.0\/8/],
    ['2001:db8::/129', /2001:db8::\/129.*0-128/],
    ['300.1.1.0/24', /300\.1\.1\.0\/24/],
    ['example.com/24', /example\.com\/24/],
    ['10.0.0.0/x', /prefix length "x"/],
    ['', /empty/],
  ])('%j is refused with a message naming it', (input, message) => {
    const result = validateCidr(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join()).toMatch(message);
  });
});

describe('validateDomain', () => {
  it('normalizes case, trailing dots, wildcards and IDN', () => {
    expect(validateDomain('CMPassport.com.')).toEqual({ ok: true, value: 'cmpassport.com' });
    expect(validateDomain('*.id6.me')).toEqual({ ok: true, value: 'id6.me' });
    expect(validateDomain('中国移动.中国')).toMatchObject({ ok: true, value: expect.stringMatching(/^xn--/) });
  });

  it.each(['', 'a..b', '-bad-.com', '1.2.3.4', 'exa mple.com'])('refuses %j', (input) => {
    expect(validateDomain(input).ok).toBe(false);
  });
});

describe('parseAsn', () => {
  it('reads AS4134, as4134 and 4134', () => {
    expect(parseAsn('AS4134')).toBe(4134);
    expect(parseAsn('as4134')).toBe(4134);
    expect(parseAsn(4134)).toBe(4134);
    expect(parseAsn('0')).toBeUndefined();
    expect(parseAsn('4294967296')).toBeUndefined();
    expect(parseAsn('AS-1')).toBeUndefined();
  });
});

describe('validateUserEntries', () => {
  it('returns every entry normalized', () => {
    const result = validateUserEntries({
      asns: [{ asn: 'AS64500', operatorId: 'custom', note: ' lab ' }],
      cidrs: [{ cidr: '198.51.100.0/24', operatorId: 'china-telecom' }],
      domains: [{ domain: 'Tracker.Example.', operatorId: 'custom' }],
      allowlist: ['News.Example', 'news.example'],
    });
    expect(result).toEqual({
      ok: true,
      value: {
        asns: [{ asn: 64500, operatorId: 'custom', note: 'lab' }],
        cidrs: [{ cidr: '198.51.100.0/24', operatorId: 'china-telecom' }],
        domains: [{ domain: 'tracker.example', operatorId: 'custom' }],
        allowlist: ['news.example'],
      },
    });
  });

  it('names every bad entry at once', () => {
    const result = validateUserEntries({
      asns: [{ asn: 'ASX', operatorId: 'custom' }],
      cidrs: [{ cidr: '10.0.0.0/40', operatorId: 'custom' }, { cidr: '10.0.0.0/8', operatorId: 'acme' }],
      domains: [{ domain: 'bad..name', operatorId: 'custom' }],
      allowlist: [42],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(5);
    expect(result.errors.join('\n')).toMatch(/ASN "ASX"/);
    expect(result.errors.join('\n')).toMatch(/CIDR "10\.0\.0\.0\/40"/);
    expect(result.errors.join('\n')).toMatch(/CIDR "10\.0\.0\.0\/8": operator "acme"/);
    expect(result.errors.join('\n')).toMatch(/domain "bad\.\.name"/);
    expect(result.errors.join('\n')).toMatch(/allowlisted site "42"/);
  });
});

describe('parseSettings', () => {
  it('gives the defaults for nothing stored', () => {
    expect(parseSettings(undefined)).toEqual({ ok: true, value: DEFAULT_SETTINGS });
  });

  it('rejects the whole lot when one value is bad, naming each problem', () => {
    const result = parseSettings({ minConfidence: 'certain', enabledOperators: ['china-mobile', 'acme'], user: { cidrs: [{ cidr: 'x', operatorId: 'custom' }] } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.join('\n')).toMatch(/"certain"/);
      expect(result.errors.join('\n')).toMatch(/"acme"/);
      expect(result.errors.join('\n')).toMatch(/CIDR "x"/);
    }
  });
});

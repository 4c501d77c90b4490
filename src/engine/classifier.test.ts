import { describe, expect, it } from 'vitest';
import { Classifier } from './classifier.ts';
import { parseIPv4 } from './ip-address.ts';
import { IpTable } from './ip-table.ts';
import type { FlaggedList } from './types.ts';

// The classifier's own rules on a small hand-made list; real-data.test.ts
// checks the shipped list and table.

const list: FlaggedList = {
  operators: [
    { id: 'china-telecom', name: 'China Telecom', group: 'China Telecom Group', why: 'FCC revoked', sources: [] },
    { id: 'china-mobile', name: 'China Mobile', group: 'China Mobile Group', why: 'FCC denied', sources: [] },
  ],
  asns: [
    { asn: 4134, operatorId: 'china-telecom', entity: '', name: 'CHINANET backbone', confidence: 'high', note: '', source: 'test' },
    { asn: 9231, operatorId: 'china-mobile', entity: 'China Mobile Hong Kong', name: 'CMHK', confidence: 'medium', note: '', source: 'test' },
    { asn: 149967, operatorId: 'china-mobile', entity: '', name: 'PT Indonesia China Mobile', confidence: 'low', note: '', source: 'test' },
  ],
  domains: [
    { domain: 'cmpassport.com', operatorId: 'china-mobile', entity: '', what: 'CMPassport', confidence: 'high', source: 'test', tags: ['phone-login'] },
    { domain: '10086.cn', operatorId: 'china-mobile', entity: '', what: 'portal', confidence: 'high', source: 'test', tags: ['portal'] },
  ],
};

const r = (a: string, b: string, asn: number) => ({ start: BigInt(parseIPv4(a)!), end: BigInt(parseIPv4(b)!), asn });
const table = IpTable.fromRanges(
  [r('202.96.0.0', '202.97.255.255', 4134), r('203.142.100.0', '203.142.100.255', 9231), r('103.1.0.0', '103.1.0.255', 149967)],
  [{ start: 0x240e0000n << 96n, end: (0x240e0fffn << 96n) | ((1n << 96n) - 1n), asn: 4134 }],
);

describe('Classifier', () => {
  const classifier = new Classifier(list, table);

  it('flags by IP and says which network', () => {
    expect(classifier.classify({ host: 'cdn.example.net', ip: '202.97.1.1' })).toMatchObject({
      flagged: true,
      operatorId: 'china-telecom',
      operator: 'China Telecom',
      asn: 4134,
      asName: 'CHINANET backbone',
      matchedBy: ['ip'],
      confidence: 'high',
    });
    expect(classifier.classify({ ip: '240e:1::1' })).toMatchObject({ flagged: true, asn: 4134, matchedBy: ['ip'] });
    expect(classifier.classify({ ip: '::ffff:202.97.1.1' })).toMatchObject({ flagged: true, asn: 4134 });
    expect(classifier.classify({ ip: '64:ff9b::202.97.1.1' })).toMatchObject({ flagged: true, asn: 4134 });
  });

  it('flags by domain with tags, and by both when both match', () => {
    expect(classifier.classify({ url: 'https://WWW.CMPASSPORT.COM./openapi/rs/tokenValidate' })).toMatchObject({
      flagged: true,
      operatorId: 'china-mobile',
      matchedBy: ['domain'],
      tags: ['phone-login'],
      asn: null,
    });
    const both = classifier.classify({ host: 'www.10086.cn', ip: '202.96.0.1' });
    expect(both.matchedBy).toEqual(['domain', 'ip']);
    // The domain names the operator; the IP match is kept beside it.
    expect(both.operatorId).toBe('china-mobile');
    expect(both.matches.map((m) => m.operatorId)).toEqual(['china-mobile', 'china-telecom']);
    expect(both.asn).toBe(4134);
  });

  it('follows a CNAME to a flagged domain, and says that is how it matched', () => {
    expect(classifier.classify({ host: 'login.chat.example', cname: 'edge.cmpassport.com.' })).toMatchObject({
      flagged: true,
      operatorId: 'china-mobile',
      matchedBy: ['cname'],
      tags: ['phone-login'],
      matches: [{ by: 'cname', domain: 'cmpassport.com' }],
    });
    expect(classifier.classify({ host: 'login.chat.example', cname: 'edge.cdn.example' }).flagged).toBe(false);
    // A host that matches by itself is not matched again through its CNAME.
    expect(classifier.classify({ host: 'www.10086.cn', cname: 'x.cmpassport.com' }).matchedBy).toEqual(['domain']);
  });

  it('takes an IP-literal URL as its own server address', () => {
    expect(classifier.classify({ url: 'http://202.97.0.9/x' })).toMatchObject({ flagged: true, ip: '202.97.0.9', asn: 4134 });
    expect(classifier.classify({ url: 'http://[240e::5]/x' })).toMatchObject({ flagged: true, asn: 4134 });
  });

  it('leaves everything else alone', () => {
    for (const ip of ['8.8.8.8', '202.95.255.255', '202.98.0.0', '10.0.0.1', '127.0.0.1', '::1', 'fe80::1', '2001:db8::1']) {
      expect(classifier.classify({ ip }).flagged).toBe(false);
    }
    expect(classifier.classify({ host: 'notcmpassport.com' }).flagged).toBe(false);
    expect(classifier.classify({ host: 'cmpassport.com.evil.example' }).flagged).toBe(false);
  });

  it('returns "not flagged" with a reason for bad input, never throws', () => {
    expect(classifier.classify({ ip: '1.2.3.999' })).toMatchObject({ flagged: false, reason: expect.stringMatching(/1\.2\.3\.999/) });
    expect(classifier.classify({ url: 'not a url' })).toMatchObject({ flagged: false, reason: expect.stringMatching(/invalid URL/) });
    expect(classifier.classify({})).toMatchObject({ flagged: false, reason: expect.stringMatching(/nothing to classify/) });
    // A bad IP does not hide a domain match.
    expect(classifier.classify({ host: 'id.cmpassport.com', ip: 'garbage' })).toMatchObject({ flagged: true, matchedBy: ['domain'], reason: expect.any(String) });
  });

  it('tells first from third party by registrable domain', () => {
    expect(classifier.classify({ url: 'https://img.10086.cn/a.png', pageUrl: 'https://www.10086.cn/' }).party).toBe('first');
    expect(classifier.classify({ url: 'https://www.cmpassport.com/x.js', pageUrl: 'https://chat.example.com/login' }).party).toBe('third');
    expect(classifier.classify({ url: 'https://a.github.io/', pageUrl: 'https://b.github.io/' }).party).toBe('third');
    expect(classifier.classify({ url: 'https://www.bbc.co.uk/x', pageUrl: 'https://news.bbc.co.uk/' }).party).toBe('first');
    expect(classifier.classify({ host: 'x.example' }).party).toBeUndefined();
  });

  it('honours the confidence threshold and the operators switched on', () => {
    expect(classifier.classify({ ip: '103.1.0.1' }).flagged).toBe(true);
    const medium = new Classifier(list, table, { minConfidence: 'medium' });
    expect(medium.classify({ ip: '103.1.0.1' }).flagged).toBe(false);
    expect(medium.classify({ ip: '203.142.100.1' }).flagged).toBe(true);
    const high = new Classifier(list, table, { minConfidence: 'high' });
    expect(high.classify({ ip: '203.142.100.1' }).flagged).toBe(false);
    const noMobile = new Classifier(list, table, { enabledOperators: ['china-telecom'] });
    expect(noMobile.classify({ host: 'cmpassport.com' }).flagged).toBe(false);
    expect(noMobile.classify({ ip: '202.97.1.1' }).flagged).toBe(true);
  });

  it('plugs in the user entries: ASNs, CIDRs, domains and the allowlist', () => {
    const user = new Classifier(list, table, {
      minConfidence: 'high',
      user: {
        asns: [{ asn: 9231, operatorId: 'china-mobile' }],
        cidrs: [
          { cidr: '198.51.100.0/24', operatorId: 'custom' },
          { cidr: '198.51.100.128/25', operatorId: 'china-unicom' },
          { cidr: '2001:db8::/32', operatorId: 'custom' },
          { cidr: '::ffff:192.0.2.0/120', operatorId: 'custom' },
        ],
        domains: [{ domain: 'tracker.example', operatorId: 'custom', note: 'lab test' }],
        allowlist: ['news.example'],
      },
    });
    expect(user.classify({ ip: '203.142.100.1' })).toMatchObject({ flagged: true, operatorId: 'china-mobile', asn: 9231, confidence: 'high' });
    expect(user.classify({ ip: '198.51.100.1' })).toMatchObject({ flagged: true, operatorId: 'custom', operator: 'Custom list' });
    // The more specific CIDR wins.
    expect(user.classify({ ip: '198.51.100.200' })).toMatchObject({ flagged: true, operatorId: 'china-unicom' });
    expect(user.classify({ ip: '2001:db8:1::1' })).toMatchObject({ flagged: true, operatorId: 'custom' });
    expect(user.classify({ ip: '192.0.2.9' })).toMatchObject({ flagged: true, operatorId: 'custom' });
    expect(user.classify({ host: 'a.tracker.example' })).toMatchObject({ flagged: true, operatorId: 'custom', matches: [{ what: 'lab test' }] });
    const onAllowlisted = user.classify({ host: 'www.cmpassport.com', pageUrl: 'https://www.news.example/' });
    expect(onAllowlisted).toMatchObject({ flagged: true, allowlisted: true });
    expect(user.classify({ host: 'www.cmpassport.com', pageUrl: 'https://other.example/' }).allowlisted).toBe(false);
  });
});

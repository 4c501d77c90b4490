import { beforeEach, describe, expect, it } from 'vitest';
import { endpoint } from './test-fixtures.ts';
import { asLabel, matchExplanations, requestsLabel, typesLabel } from './wording.ts';
import { useLocale } from './test-support.ts';

beforeEach(() => useLocale('en'));

describe('matchExplanations', () => {
  it('says an IP match is hosted on the operator\'s network, never that the site is the operator', () => {
    const [text] = matchExplanations(endpoint('www.bigsite.cn'));
    expect(text).toBe("Hosted on China Telecom's network (AS4134).");
    expect(text).not.toMatch(/\bis China Telecom\b/);
  });

  it('explains domain, CNAME and user-range matches, strongest first', () => {
    const e = endpoint('passport.cmpassport.com', {
      operatorId: 'china-mobile',
      matchedBy: ['domain', 'ip'],
      domain: 'cmpassport.com',
      asn: 9808,
    });
    expect(matchExplanations(e)).toEqual(["Domain cmpassport.com is listed for China Mobile.", "Hosted on China Mobile's network (AS9808)."]);
    expect(matchExplanations(endpoint('cdn.shop.com', { matchedBy: ['cname'], cname: 'x.ctcdn.cn' }))).toEqual([
      'Its DNS name points to x.ctcdn.cn, listed for China Telecom.',
    ]);
    expect(matchExplanations(endpoint('h.test', { asn: null, asName: null }))).toEqual(['Its IP is in a range you added for China Telecom.']);
    expect(matchExplanations(endpoint('h.test', { operatorId: 'custom', matchedBy: ['domain'], domain: 'flagged.test' }))).toEqual([
      'Domain flagged.test is on your custom list.',
    ]);
  });

  it('reads the same in Chinese', () => {
    useLocale('zh_CN');
    expect(matchExplanations(endpoint('a.cn'))).toEqual(['托管在中国电信的网络上（AS4134）。']);
  });
});

describe('labels', () => {
  it('names the AS, the request types and the counts', () => {
    expect(asLabel({ asn: 4134, asName: 'CHINANET' })).toBe('AS4134 CHINANET');
    expect(asLabel({ asn: null, asName: null })).toBe('');
    expect(typesLabel(['script', 'xmlhttprequest', 'weird_type'])).toBe('script, fetch/XHR and weird_type');
    expect(requestsLabel(1, 0)).toBe('1 request');
    expect(requestsLabel(1200, 3)).toBe('1,200 requests (3 failed or blocked)');
  });
});

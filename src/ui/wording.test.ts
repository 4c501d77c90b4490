import { beforeEach, describe, expect, it } from 'vitest';
import { endpoint } from './test-fixtures.ts';
import { asLabel, ipLabel, learnedBeforeBlocking, matchExplanations, reachCounts, reachLabel, requestsLabel, typesLabel } from './wording.ts';
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

describe('how an endpoint was reached', () => {
  it('counts blocked requests apart: not over the network, not failed, not cached', () => {
    expect(reachCounts({ count: 7, errors: 1, cached: 2, blocked: 3 })).toEqual({ network: 1, cache: 2, failed: 1, blocked: 3 });
    // Saved before the cache or blocking were counted.
    expect(reachCounts({ count: 4, errors: 1 })).toEqual({ network: 3, cache: 0, failed: 1, blocked: 0 });
    expect(reachCounts({ count: 2, errors: 0, cached: 0, blocked: 2 })).toEqual({ network: 0, cache: 0, failed: 0, blocked: 2 });
  });

  it('says "blocked: N" only when something was blocked', () => {
    expect(reachLabel({ count: 5, errors: 1, cached: 1, blocked: 2 })).toBe('Reached over the network: 1 · from the cache: 1 · failed or blocked by something else: 1 · blocked: 2');
    expect(reachLabel({ count: 2, errors: 0, cached: 0, blocked: 0 })).toBe('Reached over the network: 2');
    expect(reachLabel({ count: 2, errors: 1, cached: 0 })).toBe('Reached over the network: 1 · failed or blocked: 1');
    useLocale('zh_CN');
    expect(reachLabel({ count: 3, errors: 0, cached: 0, blocked: 3 })).toBe('未到达（已拦截：3）');
  });

  it('tells a host blocked only after its first requests got through (Chrome learning its IP)', () => {
    const learned = endpoint('cdn.example.cn', { count: 4, blocked: 3 });
    expect(learnedBeforeBlocking(learned, true)).toBe(true);
    expect(learnedBeforeBlocking(learned, false)).toBe(false); // Firefox blocks before connecting
    expect(learnedBeforeBlocking(endpoint('cdn.example.cn', { count: 3, blocked: 3 }), true)).toBe(false); // all blocked
    expect(learnedBeforeBlocking(endpoint('cdn.example.cn', { count: 3, blocked: 0 }), true)).toBe(false); // none blocked
    expect(learnedBeforeBlocking(endpoint('cdn.example.cn', { count: 3, blocked: 1, cached: 2 }), true)).toBe(false); // the rest came from the cache
    // A listed domain is blocked by name from the first request.
    expect(learnedBeforeBlocking(endpoint('x.cmpassport.com', { count: 4, blocked: 3, matchedBy: ['domain', 'ip'] }), true)).toBe(false);
    expect(learnedBeforeBlocking(endpoint('x.shop.com', { count: 4, blocked: 3, matchedBy: ['cname'] }), true)).toBe(false);
  });

  it('does not call the IP of a blocked request "served from the cache"', () => {
    expect(ipLabel(endpoint('a.cn', { ipSource: 'dns', blocked: 1, count: 1 }), '1.2.3.4')).toBe('IP: 1.2.3.4 (looked up only: the request was blocked before it connected)');
    expect(ipLabel(endpoint('a.cn', { ipSource: 'dns', cached: 1, count: 1 }), '1.2.3.4')).toBe('IP: 1.2.3.4 (from DNS: served from the cache, the page reported none)');
    expect(ipLabel(endpoint('a.cn', { ipSource: 'response', blocked: 1, count: 2 }), '1.2.3.4')).toBe('IP: 1.2.3.4');
    expect(ipLabel(endpoint('a.cn', { ips: [], ipSource: null, blocked: 2, count: 2 }), '')).toBe('');
  });
});

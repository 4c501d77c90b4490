import { beforeEach, describe, expect, it } from 'vitest';
import { groupEndpoints, popupModel, replySignature } from './popup-model.ts';
import { endpoint, reply, view } from './test-fixtures.ts';
import { useLocale } from './test-support.ts';

beforeEach(() => useLocale('en'));

describe('popupModel', () => {
  it('says plainly which operators a page contacted', () => {
    const m = popupModel('https://news.example.com/a', reply(view([endpoint('a.cn'), endpoint('b.cn', { operatorId: 'china-mobile', operator: 'China Mobile' }), endpoint('c.cn')])));
    expect(m.status).toBe('page');
    expect(m.site).toBe('example.com');
    expect(m.endpointCount).toBe(3);
    expect(m.verdict).toBe('This page contacted 3 endpoints on China Mobile and China Telecom networks');
    expect(m.groups.map((g) => [g.name, g.endpoints.map((e) => e.host)])).toEqual([
      ['China Mobile', ['b.cn']],
      ['China Telecom', ['a.cn', 'c.cn']],
    ]);
  });

  it('uses the singular for one endpoint and says "no flagged networks" for none', () => {
    expect(popupModel('https://x.org/', reply(view([endpoint('a.cn')]))).verdict).toBe('This page contacted 1 endpoint on a China Telecom network');
    expect(popupModel('https://x.org/', reply(view([]))).verdict).toBe('No flagged networks contacted');
  });

  it('counts past the cap with a "+"', () => {
    expect(popupModel('https://x.org/', reply(view([endpoint('a.cn'), endpoint('b.cn')], { spilled: 4 }))).verdict).toBe(
      'This page contacted 2+ endpoints on China Telecom networks',
    );
  });

  it('tells browser pages, closed tabs, pages loaded before the start and allowlisted sites apart', () => {
    expect(popupModel('chrome://extensions/', reply(null)).status).toBe('non-web');
    expect(popupModel('about:preferences', reply(null)).status).toBe('non-web');
    expect(popupModel('', reply(null)).status).toBe('non-web'); // a browser page's URL is hidden from the extension
    // The tab moved to a browser page: the last web page view must not be shown as if current.
    expect(popupModel('about:newtab', reply(view([endpoint('a.cn')]))).status).toBe('non-web');
    expect(popupModel(null, reply(null)).status).toBe('no-tab');

    const before = popupModel('https://old.example.org/page', reply(view([endpoint('a.cn')], { url: '', site: '' })));
    expect(before).toMatchObject({ status: 'page', loadedBeforeStart: true, site: 'old.example.org', endpointCount: 1 });
    expect(popupModel('https://quiet.example.org/', reply(null))).toMatchObject({ status: 'page', loadedBeforeStart: true, endpointCount: 0 });

    expect(popupModel('https://news.example.com/', reply(view([endpoint('a.cn')], { allowlisted: true })))).toMatchObject({ allowlisted: true, endpointCount: 1 });
  });

  it('keeps the storage error and the private flag', () => {
    const r = reply(view([]), { storageError: 'QUOTA_BYTES quota exceeded' });
    r.tab!.private = true;
    expect(popupModel('https://x.org/', r)).toMatchObject({ storageError: 'QUOTA_BYTES quota exceeded', private: true });
  });
});

describe('groupEndpoints', () => {
  it('orders groups by a fixed operator order and rows by first seen, so new data only appends', () => {
    const groups = groupEndpoints([
      endpoint('late.cn', { operatorId: 'custom', operator: 'custom', firstSeen: 5 }),
      endpoint('z.cn', { firstSeen: 2 }),
      endpoint('a.cn', { firstSeen: 3 }),
      endpoint('u.cn', { operatorId: 'china-unicom', operator: 'China Unicom', firstSeen: 1 }),
    ]);
    expect(groups.map((g) => g.operatorId)).toEqual(['china-telecom', 'china-unicom', 'custom']);
    expect(groups[0]!.endpoints.map((e) => e.host)).toEqual(['z.cn', 'a.cn']);
  });
});

describe('replySignature', () => {
  it('changes when anything shown changes, not otherwise', () => {
    const r1 = reply(view([endpoint('a.cn')]));
    const same = reply(view([endpoint('a.cn')]));
    const more = reply(view([endpoint('a.cn', { count: 2 })]));
    expect(replySignature('u', r1)).toBe(replySignature('u', same));
    expect(replySignature('u', r1)).not.toBe(replySignature('u', more));
    expect(replySignature('u', r1)).not.toBe(replySignature('u', reply(view([endpoint('a.cn')], { allowlisted: true }))));
  });
});

describe('with blocking', () => {
  const status = { mode: 'block' as const, blockPhoneLogin: false, pageExempt: false, learnsHosts: true, domainOnly: false, locked: false };

  it('says the page only tried when every request was blocked', () => {
    const m = popupModel('https://x.org/', reply(view([endpoint('a.cn', { blocked: 1 }), endpoint('b.cn', { operatorId: 'china-mobile', operator: 'China Mobile', count: 2, blocked: 2 })])));
    expect(m).toMatchObject({ allBlocked: true, blockedEndpoints: 2 });
    expect(m.verdict).toBe('This page tried to contact 2 endpoints on China Mobile and China Telecom networks; Carrier Watch blocked every request');
    expect(popupModel('https://x.org/', reply(view([endpoint('a.cn', { blocked: 1 })]))).verdict).toBe(
      'This page tried to contact 1 endpoint on a China Telecom network; Carrier Watch blocked every request',
    );
  });

  it('counts blocked and reached endpoints when only some were blocked', () => {
    // b.cn: its first request got through before the rest were blocked: reached.
    const m = popupModel('https://x.org/', reply(view([endpoint('a.cn', { blocked: 1 }), endpoint('b.cn', { count: 3, blocked: 2 }), endpoint('c.cn')])));
    expect(m).toMatchObject({ allBlocked: false, blockedEndpoints: 1 });
    expect(m.verdict).toBe('This page contacted 3 endpoints on China Telecom networks (blocked: 1, reached: 2)');
    // Unlisted contacts (past the cap) may have got through: never "every request blocked".
    const spilled = popupModel('https://x.org/', reply(view([endpoint('a.cn', { blocked: 1 })], { spilled: 3 })));
    expect(spilled.allBlocked).toBe(false);
    expect(spilled.verdict).toBe('This page contacted 1+ endpoints on China Telecom networks (blocked: 1, reached: 0)');
  });

  it('keeps the background\'s protection status, and says whether anything is blocked at all', () => {
    expect(popupModel('https://x.org/', reply(view([]))).protection).toBeNull(); // an older background
    expect(popupModel('https://x.org/', reply(view([]), { protection: status })).protection).toMatchObject({ active: true, learnsHosts: true });
    const phoneOnly = popupModel('https://x.org/', reply(view([]), { protection: { ...status, mode: 'warn', blockPhoneLogin: true } }));
    expect(phoneOnly.protection?.active).toBe(true);
    expect(popupModel('https://x.org/', reply(view([]), { protection: { ...status, mode: 'warn' } })).protection?.active).toBe(false);
  });

  it('recognises a tab showing the blocked page', () => {
    const tabUrl = 'chrome-extension://abc/src/blocked/index.html#https://passport.cmpassport.com/login?x=1#frag';
    expect(popupModel(tabUrl, reply(null))).toMatchObject({ status: 'non-web', blockedPageHost: 'passport.cmpassport.com' });
    expect(popupModel('moz-extension://u/src/blocked/index.html#https%3A%2F%2Fa.example.cn%2F', reply(null)).blockedPageHost).toBe('a.example.cn');
    expect(popupModel('chrome-extension://abc/src/popup/index.html#https://a.cn/', reply(null)).blockedPageHost).toBeNull();
    expect(popupModel('chrome-extension://abc/src/blocked/index.html#javascript:alert(1)', reply(null)).blockedPageHost).toBeNull();
  });

  it('re-renders when the protection status changes, though no count does', () => {
    const r = reply(view([endpoint('a.cn')]), { protection: status });
    const exempt = reply(view([endpoint('a.cn')]), { protection: { ...status, pageExempt: true } });
    expect(replySignature('u', r)).not.toBe(replySignature('u', exempt));
    expect(replySignature('u', reply(null, { protection: status }))).not.toBe(replySignature('u', reply(null, { protection: { ...status, pageExempt: true } })));
    expect(replySignature('u', reply(view([endpoint('a.cn', { count: 2, blocked: 1 })])))).not.toBe(replySignature('u', reply(view([endpoint('a.cn', { count: 2, errors: 1 })]))));
  });
});

describe('in Simplified Chinese', () => {
  it('names the operators in Chinese and lists them the Chinese way', () => {
    useLocale('zh_CN');
    const m = popupModel('https://x.org/', reply(view([endpoint('a.cn'), endpoint('b.cn', { operatorId: 'china-mobile', operator: 'China Mobile' })])));
    expect(m.verdict).toBe('此页面联系了 2 个位于中国移动和中国电信网络上的端点');
    const blocked = popupModel('https://x.org/', reply(view([endpoint('a.cn', { blocked: 1 }), endpoint('b.cn')])));
    expect(blocked.verdict).toBe('此页面联系了 2 个位于中国电信网络上的端点（已拦截：1，已到达：1）');
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProtectionPolicy } from '../../engine/protection.ts';
import type { Settings } from '../../engine/settings.ts';
import type { LocalArea } from '../site-log-store.ts';
import type { DnrApi } from './dnr-sync.ts';
import { RULE_IDS, type DnrRule } from './dnr-rules.ts';
import { LEARNED_KEY, Protection } from './protection.ts';
import { classifierFor, CT_IP, LIST, settingsWith } from './test-fixtures.ts';

const PAGE = 'chrome-extension://abc/src/blocked/index.html';

function memoryArea(): LocalArea & { data: Record<string, unknown>; failWrites: boolean } {
  const area = {
    data: {} as Record<string, unknown>,
    failWrites: false,
    get: async () => ({}),
    set: async (items: Record<string, unknown>) => {
      if (area.failWrites) throw new Error('QUOTA_BYTES quota exceeded');
      Object.assign(area.data, items);
    },
    remove: async (keys: string | string[]) => {
      for (const k of Array.isArray(keys) ? keys : [keys]) delete area.data[k];
    },
  };
  return area;
}

function fakeDnr() {
  const state = { enabled: [] as string[], dynamic: [] as DnrRule[], session: [] as DnrRule[] };
  const api: DnrApi = {
    getEnabledRulesets: async () => [...state.enabled],
    updateEnabledRulesets: async ({ enableRulesetIds = [], disableRulesetIds = [] }) => void (state.enabled = [...state.enabled.filter((id) => !disableRulesetIds.includes(id)), ...enableRulesetIds]),
    getDynamicRules: async () => state.dynamic,
    updateDynamicRules: async ({ addRules = [] }) => void (state.dynamic = addRules),
    getSessionRules: async () => state.session,
    updateSessionRules: async ({ addRules = [] }) => void (state.session = addRules),
  };
  return { api, state };
}

function chrome(settings: Settings) {
  let current = settings;
  const local = memoryArea();
  const { api, state } = fakeDnr();
  const protection = new Protection({ classifier: () => classifierFor(current), list: () => LIST, local, blockedPageUrl: PAGE, dnr: api });
  const use = (next: Settings) => {
    current = next;
    return protection.update(new ProtectionPolicy(next));
  };
  return { protection, local, state, use };
}

const learnedRule = (state: { dynamic: DnrRule[] }) => state.dynamic.find((r) => r.id === RULE_IDS.blockLearned)?.condition.requestDomains ?? [];

describe('Protection in Chrome: hosts learned from their address', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('learns a host on a flagged network from a response and blocks it from then on, saved to disk', async () => {
    const block = settingsWith({ mode: 'block' });
    const { protection, local, state, use } = chrome(block);
    await use(block);
    protection.onAddress('ct.example', CT_IP, classifierFor(block).classify({ host: 'ct.example', ip: CT_IP }), false);
    await protection.applyRules();
    expect(learnedRule(state)).toEqual(['ct.example']);
    expect(protection.learnedIp('ct.example')).toBe(CT_IP);
    await vi.advanceTimersByTimeAsync(1100);
    expect((local.data[LEARNED_KEY] as Array<{ host: string }>).map((h) => h.host)).toEqual(['ct.example']);
    // The host answers from an unflagged address later (an exempt page): it is let go.
    protection.onAddress('ct.example', '192.0.2.1', classifierFor(block).classify({ host: 'ct.example', ip: '192.0.2.1' }), false);
    await protection.applyRules();
    expect(learnedRule(state)).toEqual([]);
  });

  it('learns nothing in Warn mode or for hosts a domain rule covers', async () => {
    const warn = settingsWith({ mode: 'warn', blockPhoneLogin: true });
    const { protection } = chrome(warn);
    await protection.update(new ProtectionPolicy(warn));
    protection.onAddress('ct.example', CT_IP, classifierFor(warn).classify({ host: 'ct.example', ip: CT_IP }), false);
    expect(protection.learned.size).toBe(0);
    const block = settingsWith({ mode: 'block' });
    await protection.update(new ProtectionPolicy(block));
    protection.onAddress('www.10086.cn', CT_IP, classifierFor(block).classify({ host: 'www.10086.cn', ip: CT_IP }), false);
    expect(protection.learned.size).toBe(0);
  });

  it('keeps what private windows teach in memory (session rules), never on disk', async () => {
    const block = settingsWith({ mode: 'block' });
    const { protection, local, state, use } = chrome(block);
    await use(block);
    protection.onAddress('secret.example', CT_IP, classifierFor(block).classify({ host: 'secret.example', ip: CT_IP }), true);
    await protection.applyRules();
    await vi.advanceTimersByTimeAsync(2000);
    expect(local.data[LEARNED_KEY]).toBeUndefined();
    expect(JSON.stringify(state.dynamic)).not.toContain('secret.example');
    expect(state.session.find((r) => r.id === RULE_IDS.sessionBlockLearned)?.condition.requestDomains).toEqual(['secret.example']);
  });

  it('unblocks learned hosts whose operator is switched off, and blocks them again when it is back on', async () => {
    const block = settingsWith({ mode: 'block' });
    const { protection, state, use } = chrome(block);
    await use(block);
    protection.onAddress('ct.example', CT_IP, classifierFor(block).classify({ host: 'ct.example', ip: CT_IP }), false);
    await use(settingsWith({ mode: 'block' }, { enabledOperators: ['china-mobile'] }));
    expect(learnedRule(state)).toEqual([]);
    await use(block);
    expect(learnedRule(state)).toEqual(['ct.example']);
  });

  it('survives a full disk: the hosts stay blocked from memory and the failure is reported', async () => {
    const block = settingsWith({ mode: 'block' });
    const { protection, local, state, use } = chrome(block);
    await use(block);
    local.failWrites = true;
    protection.onAddress('ct.example', CT_IP, classifierFor(block).classify({ host: 'ct.example', ip: CT_IP }), false);
    await vi.advanceTimersByTimeAsync(1100);
    expect(protection.lastWriteError).toMatch(/quota/);
    expect(learnedRule(state)).toEqual(['ct.example']);
  });

  it('restores saved hosts at start and forgets them all on "clear all data"', async () => {
    const block = settingsWith({ mode: 'block' });
    const { protection, local, state, use } = chrome(block);
    protection.restore([{ host: 'ct.example', ip: CT_IP, operatorId: 'china-telecom', expires: Date.now() + 60_000 }, { host: 5 }]);
    await use(block);
    expect(learnedRule(state)).toEqual(['ct.example']);
    local.data[LEARNED_KEY] = ['x'];
    await protection.clearLearned();
    expect(learnedRule(state)).toEqual([]);
    expect(local.data[LEARNED_KEY]).toBeUndefined();
  });
});

describe('Protection: what the background and the explanation page ask', () => {
  it('tells blocks from failures: Chrome\'s ERR_BLOCKED_BY_CLIENT, a redirect to the explanation page', () => {
    const { protection } = chrome(settingsWith({ mode: 'block' }));
    expect(protection.isBlocked({ kind: 'error', requestId: '1', error: 'net::ERR_BLOCKED_BY_CLIENT' })).toBe(true);
    expect(protection.isBlocked({ kind: 'error', requestId: '1', error: 'net::ERR_CONNECTION_REFUSED' })).toBe(false);
    expect(protection.isBlocked({ kind: 'redirect', requestId: '1', redirectUrl: `${PAGE}#https://x.cn/` })).toBe(true);
    expect(protection.isBlocked({ kind: 'redirect', requestId: '1', redirectUrl: 'https://x.cn/' })).toBe(false);
    expect(protection.isBlocked({ kind: 'response', requestId: '1' })).toBe(false);
  });

  it('explains a block in the list\'s words, or says the page is no longer blocked', async () => {
    const block = settingsWith({ mode: 'warn', blockPhoneLogin: true });
    const { protection, use } = chrome(block);
    await use(block);
    expect(protection.explain('https://enrichgw.10010.com/auth?x=1', () => undefined)).toMatchObject({
      flagged: true, host: 'enrichgw.10010.com', operatorId: 'china-unicom', operator: 'China Unicom', why: 'CU why', reason: 'phone-login', domain: 'enrichgw.10010.com', what: 'gateway',
    });
    expect(protection.explain('https://www.10086.cn/', () => undefined)).toEqual({ flagged: false, host: 'www.10086.cn' });
    expect(protection.explain('not a url', () => undefined)).toEqual({ flagged: false, host: null });
  });

  it('"Continue once" adds a pass for the tab, used up when the tab shows another host', async () => {
    const block = settingsWith({ mode: 'block' });
    const { protection, state, use } = chrome(block);
    await use(block);
    expect(await protection.continueOnce(undefined, 'https://www.10086.cn/')).toEqual({ ok: false, error: 'not in a tab' });
    expect(await protection.continueOnce(4, 'javascript:alert(1)')).toEqual({ ok: false, error: 'not a web address' });
    expect(await protection.continueOnce(4, 'https://www.10086.cn/page')).toEqual({ ok: true });
    expect(state.session.find((r) => r.id === RULE_IDS.firstPass)?.condition).toEqual({ requestDomains: ['www.10086.cn'], resourceTypes: ['main_frame'], tabIds: [4] });
    protection.committed(4, `${PAGE}#https://www.10086.cn/page`);
    protection.committed(4, 'chrome-extension://fixed-id/src/blocked/index.html#https://www.10086.cn/page');
    protection.committed(4, 'https://www.10086.cn/page');
    expect(protection.passes.list()).toHaveLength(1);
    protection.committed(4, 'https://shop.test/');
    await protection.applyRules();
    expect(state.session).toEqual([]);
  });

  it('reports what the popup shows', async () => {
    const settings = settingsWith({ mode: 'block', allowedSites: ['shop.test'] });
    const { protection, use } = chrome(settings);
    await use(settings);
    expect(protection.status('https://www.shop.test/x', true)).toEqual({ mode: 'block', blockPhoneLogin: false, pageExempt: true, learnsHosts: true, domainOnly: false, locked: true });
    expect(protection.status(null, false).pageExempt).toBe(false);
  });

  it('Firefox: a proxy that resolves names turns look-ups off for good', () => {
    const protection = new Protection({ classifier: () => classifierFor(settingsWith({})), list: () => LIST, local: memoryArea(), blockedPageUrl: PAGE });
    expect(protection.blocker).toBeDefined();
    expect(protection.onProxyInfo(null)).toBe(false);
    expect(protection.onProxyInfo({ type: 'socks', proxyDNS: false })).toBe(false);
    expect(protection.onProxyInfo({ type: 'socks', proxyDNS: true })).toBe(true);
    expect(protection.domainOnly).toBe(true);
    expect(protection.status(null, false)).toMatchObject({ domainOnly: true, learnsHosts: false });
  });
});

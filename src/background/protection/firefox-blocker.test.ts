import { describe, expect, it } from 'vitest';
import { ProtectionPolicy } from '../../engine/protection.ts';
import type { Settings } from '../../engine/settings.ts';
import type { CachingResolver, DnsAnswer } from '../firefox-dns.ts';
import { FirefoxBlocker, type BeforeRequest } from './firefox-blocker.ts';
import { TabPasses } from './tab-passes.ts';
import { classifierFor, CT_IP, settingsWith } from './test-fixtures.ts';

const PAGE = 'moz-extension://uuid/src/blocked/index.html';

/** A resolver whose answers the test controls: settled ones (peek), pending ones, never-answering ones. */
function fakeResolver(answers: Record<string, DnsAnswer | 'never'>) {
  const asked: string[] = [];
  const settled = new Map<string, DnsAnswer>();
  const resolver: CachingResolver = {
    resolve(host) {
      asked.push(host);
      const answer = answers[host];
      if (answer === 'never') return new Promise(() => undefined);
      settled.set(host, answer ?? null);
      return Promise.resolve(answer ?? null);
    },
    peek: (host) => settled.get(host),
  };
  return { resolver, asked };
}

function setup(settings: Settings, answers: Record<string, DnsAnswer | 'never'> = {}, domainOnly = false) {
  const { resolver, asked } = fakeResolver(answers);
  const passes = new TabPasses();
  const blocker = new FirefoxBlocker({
    policy: () => new ProtectionPolicy(settings),
    classifier: () => classifierFor(settings),
    resolver,
    domainOnly: () => domainOnly,
    passes,
    blockedPageUrl: PAGE,
    lookupTimeoutMs: 20,
  });
  return { blocker, asked, passes };
}

let n = 0;
const request = (url: string, extra: Partial<BeforeRequest> = {}): BeforeRequest => ({
  requestId: String(++n), url, tabId: 1, frameId: 0, type: 'script', documentUrl: 'https://shop.test/checkout', ...extra,
});

describe('FirefoxBlocker', () => {
  it('lets everything go in Warn mode, without a look-up', () => {
    const { blocker, asked } = setup(settingsWith({ mode: 'warn' }));
    expect(blocker.handle(request('https://www.cmpassport.com/sdk.js'))).toBeUndefined();
    expect(blocker.handle(request('https://cdn.example/x.js'))).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('cancels a listed domain at once, and sends a top-level page to the explanation page', () => {
    const { blocker, asked } = setup(settingsWith({ mode: 'block' }));
    const sub = request('https://www.10086.cn/logo.gif', { type: 'image' });
    expect(blocker.handle(sub)).toEqual({ cancel: true });
    expect(blocker.wasBlocked(sub.requestId)).toBe(true);
    expect(blocker.handle(request('https://www.10086.cn/?a#b', { type: 'main_frame', documentUrl: undefined }))).toEqual({ redirectUrl: `${PAGE}#https://www.10086.cn/?a#b` });
    expect(asked).toEqual([]);
  });

  it('looks up any other host and blocks it when an address is on a flagged network, before connecting', async () => {
    const { blocker, asked } = setup(settingsWith({ mode: 'block' }), { 'ct.example': { addresses: ['192.0.2.1', CT_IP], canonicalName: null }, 'ok.example': { addresses: ['192.0.2.1'], canonicalName: null } });
    await expect(blocker.handle(request('https://ct.example/a.js'))).resolves.toEqual({ cancel: true });
    await expect(blocker.handle(request('https://ok.example/a.js'))).resolves.toBeUndefined();
    // Known now: answered without waiting.
    expect(blocker.handle(request('https://ct.example/b.js'))).toEqual({ cancel: true });
    expect(asked).toEqual(['ct.example', 'ok.example']);
  });

  it('uncloaks a first-party name whose CNAME is a listed domain', async () => {
    const { blocker } = setup(settingsWith({ mode: 'block' }), { 'login.shop.test': { addresses: ['192.0.2.1'], canonicalName: 'www.cmpassport.com' } });
    await expect(blocker.handle(request('https://login.shop.test/x'))).resolves.toEqual({ cancel: true });
  });

  it('never blocks on a failed or slow look-up, and never waits past the time box', async () => {
    const { blocker } = setup(settingsWith({ mode: 'block' }), { 'slow.example': 'never' });
    await expect(blocker.handle(request('https://failing.example/x'))).resolves.toBeUndefined();
    await expect(blocker.handle(request('https://slow.example/x'))).resolves.toBeUndefined();
    expect(blocker.stats).toMatchObject({ lookups: 2, timeouts: 1, failures: 1, blocked: 0 });
  });

  it('behind a proxy that resolves names: domains only, no look-up', () => {
    const { blocker, asked } = setup(settingsWith({ mode: 'block' }), {}, true);
    expect(blocker.handle(request('https://ct.example/a.js'))).toBeUndefined();
    expect(blocker.handle(request('https://www.10086.cn/a.js'))).toEqual({ cancel: true });
    expect(asked).toEqual([]);
  });

  it('the phone-login switch alone blocks gateways by name and looks nothing up', () => {
    const { blocker, asked } = setup(settingsWith({ blockPhoneLogin: true }));
    expect(blocker.handle(request('https://www.cmpassport.com/x'))).toEqual({ cancel: true });
    expect(blocker.handle(request('https://www.10086.cn/x'))).toBeUndefined();
    expect(blocker.handle(request('https://ct.example/x'))).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('spares exempt sites (judged by the top-level page, in frames and workers too) and a "Continue once" tab', () => {
    const { blocker, passes } = setup(settingsWith({ mode: 'block', allowedSites: ['shop.test'] }));
    expect(blocker.handle(request('https://www.10086.cn/x'))).toBeUndefined();
    const inFrame = request('https://www.10086.cn/x', { frameId: 5, documentUrl: 'https://ads.example/frame', frameAncestors: [{ url: 'https://shop.test/', frameId: 0 }] });
    expect(blocker.handle(inFrame)).toBeUndefined();
    expect(blocker.handle(request('https://www.10086.cn/x', { tabId: -1, documentUrl: undefined, originUrl: 'https://shop.test/sw.js' }))).toBeUndefined();
    expect(blocker.handle(request('https://www.10086.cn/x', { documentUrl: 'https://elsewhere.test/' }))).toEqual({ cancel: true });
    passes.grant(9, 'www.10086.cn');
    expect(blocker.handle(request('https://www.10086.cn/', { tabId: 9, type: 'main_frame', documentUrl: undefined }))).toBeUndefined();
    expect(blocker.handle(request('https://www.10086.cn/app.js', { tabId: 9, documentUrl: 'https://www.10086.cn/' }))).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../engine/settings.ts';
import { handleMessage, isFromExtensionPage, type BlockExplanation, type DataStatus, type ProtectionStatus } from './messages.ts';
import { SessionMirror } from './session-mirror.ts';
import { DEFAULT_LOG_LIMITS } from './site-log.ts';
import { SiteLogStore, type LocalArea } from './site-log-store.ts';
import { TabTracker, type TabState } from './tab-tracker.ts';
import { UnattributedLog } from './unattributed-log.ts';
import { endpoint, view } from '../ui/test-fixtures.ts';

// The messages the popup and the options page send that change state.

function memoryArea(): LocalArea & { data: Record<string, unknown> } {
  const data: Record<string, unknown> = {};
  return {
    data,
    get: async (keys) => Object.fromEntries((Array.isArray(keys) ? keys : [keys]).filter((k) => k in data).map((k) => [k, data[k]])),
    set: async (items) => void Object.assign(data, items),
    remove: async (keys) => {
      for (const k of Array.isArray(keys) ? keys : [keys]) delete data[k];
    },
  };
}

const DATA_STATUS: DataStatus = {
  inUse: { version: '2026-06-17.0', dataDate: '2026-06-17', source: 'bundled', appliedAt: null },
  bundledVersion: '2026-06-17.0',
  updates: { enabled: true, url: 'https://example.org/x.cwdata', enabledManaged: false, urlManaged: false },
  lastCheck: null,
  checking: false,
};

function context() {
  const area = memoryArea();
  const siteLog = new SiteLogStore(area, () => DEFAULT_LOG_LIMITS, 0);
  const tracker = new TabTracker(() => '');
  const mirror = new SessionMirror<TabState>({ set: async () => undefined, remove: async () => undefined }, 'tab:', () => undefined);
  const calls = { clearLearned: 0, checks: 0, continued: [] as string[] };
  const protection: ProtectionStatus = { mode: 'block', blockPhoneLogin: false, pageExempt: false, learnsHosts: true, domainOnly: false, locked: false };
  const ctx = {
    ready: Promise.resolve(), tracker, siteLog, mirror, unattributed: new UnattributedLog(), settings: () => DEFAULT_SETTINGS, dataError: (): string | null => null, isPrivate: (tabId: number) => tabId === 7,
    protection: () => protection,
    explainBlock: (url: string): BlockExplanation => ({ flagged: false, host: new URL(url).hostname }),
    continueOnce: async (url: string) => {
      calls.continued.push(url);
      return { ok: true };
    },
    clearLearned: async () => void calls.clearLearned++,
    dataStatus: () => DATA_STATUS,
    checkDataNow: async () => {
      calls.checks++;
      return { ...DATA_STATUS, lastCheck: { at: 1, outcome: 'up-to-date' as const, message: null, version: '2026-06-17.0' } };
    },
  };
  return { area, siteLog, calls, ctx };
}

describe('data status', () => {
  it('answers get-data-status and runs check-data-now', async () => {
    const { ctx, calls } = context();
    expect(await handleMessage({ type: 'get-data-status' }, ctx)).toEqual(DATA_STATUS);
    expect(await handleMessage({ type: 'check-data-now' }, ctx)).toMatchObject({ lastCheck: { outcome: 'up-to-date' } });
    expect(calls.checks).toBe(1);
  });
});

describe('clear-site-log', () => {
  it('deletes one site\'s log, or every site\'s', async () => {
    const { siteLog, ctx, calls } = context();
    const now = { firstSeen: Date.now(), lastSeen: Date.now() }; // inside the retention period
    siteLog.record(view([endpoint('a.cn', now)], { id: 'a', site: 'a.com', url: 'https://a.com/', startedAt: now.firstSeen }));
    siteLog.record(view([endpoint('b.cn', now)], { id: 'b', site: 'b.com', url: 'https://b.com/', startedAt: now.firstSeen }));
    await siteLog.flush();
    expect(await handleMessage({ type: 'clear-site-log', site: 'a.com' }, ctx)).toEqual({ cleared: true });
    expect((await siteLog.get('a.com')).visits).toHaveLength(0);
    expect((await siteLog.get('b.com')).visits).toHaveLength(1);
    expect(calls.clearLearned).toBe(0); // one site: the learned hosts stay
    await handleMessage({ type: 'clear-site-log' }, ctx);
    expect((await siteLog.get('b.com')).visits).toHaveLength(0);
    expect(calls.clearLearned).toBe(1); // "clear all data" forgets them too
  });

  it('ignores a malformed site', () => {
    const { ctx } = context();
    expect(handleMessage({ type: 'clear-site-log', site: 42 }, ctx)).toBeUndefined();
    expect(handleMessage({ type: 'clear-site-log', site: '' }, ctx)).toBeUndefined();
  });
});

describe('who may ask', () => {
  it('answers the extension\'s own pages only, never a web page\'s content script', () => {
    const origin = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/';
    expect(isFromExtensionPage(`${origin}src/popup/index.html?tab=3`, origin)).toBe(true);
    expect(isFromExtensionPage('https://evil.example/', origin)).toBe(false);
    expect(isFromExtensionPage(`https://evil.example/${origin}`, origin)).toBe(false);
    expect(isFromExtensionPage(undefined, origin)).toBe(false);
  });
});

describe('blocked page', () => {
  it('answers explain-block and continue-once, and ignores malformed ones', async () => {
    const { ctx, calls } = context();
    expect(await handleMessage({ type: 'explain-block', url: 'https://a.test/x' }, ctx)).toEqual({ flagged: false, host: 'a.test' });
    expect(await handleMessage({ type: 'continue-once', url: 'https://a.test/x' }, ctx)).toEqual({ ok: true });
    expect(calls.continued).toEqual(['https://a.test/x']);
    expect(handleMessage({ type: 'explain-block', url: 7 }, ctx)).toBeUndefined();
    expect(handleMessage({ type: 'continue-once' }, ctx)).toBeUndefined();
  });
});

describe('get-tab', () => {
  it('includes what blocking does on the tab', async () => {
    const { ctx } = context();
    expect(await handleMessage({ type: 'get-tab', tabId: 3 }, ctx)).toMatchObject({ protection: { mode: 'block', learnsHosts: true } });
  });

  it('says the tab is private when the browser said so of the tab or its requests', async () => {
    const { ctx } = context();
    ctx.tracker.ensureTab(7);
    ctx.tracker.ensureTab(8);
    expect(await handleMessage({ type: 'get-tab', tabId: 7 }, ctx)).toMatchObject({ tab: { tabId: 7, private: true } });
    expect(await handleMessage({ type: 'get-tab', tabId: 8 }, ctx)).toMatchObject({ tab: { tabId: 8, private: false } });
  });

  it('says when part of the bundled data could not be read', async () => {
    const { ctx } = context();
    const reply = await handleMessage({ type: 'get-tab', tabId: 1 }, { ...ctx, dataError: () => 'IP table: bad magic' });
    expect(reply).toMatchObject({ tab: null, dataError: 'IP table: bad magic' });
  });
});

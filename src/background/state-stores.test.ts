import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BadgeScheduler, type BadgeState } from './badge.ts';
import { newPageView, type PageView } from './page-view.ts';
import { SessionMirror, type SessionArea } from './session-mirror.ts';
import { DEFAULT_LOG_LIMITS, shouldLog, sitesToEvict, trimVisits, visitOf, withVisit, type SiteLog } from './site-log.ts';
import { SITE_INDEX_KEY, SiteLogStore, type LocalArea } from './site-log-store.ts';

// The batching and bounding of what the background keeps. The storage areas
// here are in-memory stand-ins with the same contract as browser.storage
// (and a switch to fail like a full quota); the real areas are exercised by
// tests/e2e/.

class MemoryArea implements SessionArea, LocalArea {
  data: Record<string, unknown> = {};
  writes = 0;
  failWith: string | null = null;

  async get(keys: string | string[] | null): Promise<Record<string, unknown>> {
    if (keys === null) return structuredClone(this.data);
    const out: Record<string, unknown> = {};
    for (const key of Array.isArray(keys) ? keys : [keys]) if (key in this.data) out[key] = structuredClone(this.data[key]);
    return out;
  }

  async set(items: Record<string, unknown>): Promise<void> {
    if (this.failWith) throw new Error(this.failWith);
    this.writes++;
    Object.assign(this.data, structuredClone(items));
  }

  async remove(keys: string | string[]): Promise<void> {
    for (const key of Array.isArray(keys) ? keys : [keys]) delete this.data[key];
  }
}

function viewWith(site: string, hosts: string[], startedAt = Date.now()): PageView {
  const view = newPageView(1, `https://${site}/page?token=secret`, site, startedAt);
  for (const host of hosts) {
    view.endpoints.push({
      host, operatorId: 'china-mobile', operator: 'China Mobile', ips: ['192.0.2.1'], asn: null, asName: null, matchedBy: ['domain'],
      domain: 'cmpassport.com', cname: null, confidence: 'high', tags: [], types: ['script'], count: 1, errors: 0,
      cached: 0, methods: ['GET'], sentData: false, ipSource: 'response',
      firstSeen: startedAt, lastSeen: startedAt, party: 'third', frames: [], viaWorker: false,
    });
  }
  return view;
}

describe('BadgeScheduler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('batches a burst of updates into a few, always ending on the last state', async () => {
    const shown: string[] = [];
    let count = 0;
    const scheduler = new BadgeScheduler({ show: async (_tab, b) => void shown.push(b.text) }, () => ({ text: String(count), title: '', color: '' }), 250, () => Date.now());
    for (let i = 0; i < 100; i++) {
      count++;
      scheduler.request(7);
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(500);
    expect(shown.length).toBeLessThanOrEqual(6); // 1 s of updates at most every 250 ms
    expect(shown.at(-1)).toBe('100');
  });

  it('swallows failures for closed or prerendered tabs', async () => {
    const scheduler = new BadgeScheduler({ show: async () => Promise.reject(new Error('No tab with id: 9')) }, (): BadgeState => ({ text: '1', title: '', color: '' }));
    await expect(scheduler.flush(9)).resolves.toBeUndefined();
  });
});

describe('SessionMirror', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes changes in batches and restores them', async () => {
    const area = new MemoryArea();
    const state = new Map<string, number>([['1', 10], ['2', 20]]);
    const mirror = new SessionMirror<number>(area, 'tab:', (key) => state.get(key), 100);
    for (let i = 0; i < 50; i++) mirror.changed(i % 2 ? '1' : '2');
    await vi.advanceTimersByTimeAsync(150);
    expect(area.writes).toBe(1);
    expect(area.data).toEqual({ 'tab:1': 10, 'tab:2': 20 });
    mirror.deleted('2');
    await mirror.flush();
    expect([...new SessionMirror<number>(area, 'tab:', () => undefined).entriesOf(await area.get(null))]).toEqual([['1', 10]]);
  });

  it('writes within the delay of the first change however many follow (one timer, not one per change)', async () => {
    const area = new MemoryArea();
    const mirror = new SessionMirror<number>(area, 'tab:', () => 1, 100);
    for (let i = 0; i < 30; i++) {
      mirror.changed('1');
      await vi.advanceTimersByTimeAsync(20);
    }
    // 600 ms of changes every 20 ms: a debounce would not have written yet.
    expect(area.writes).toBeGreaterThanOrEqual(5);
    expect(area.writes).toBeLessThanOrEqual(7);
  });

  it('lets a change that only moves a counter wait, and a flagged one pull the write forward', async () => {
    const area = new MemoryArea();
    const mirror = new SessionMirror<number>(area, 'tab:', () => 1, 100, 2000);
    mirror.changed('1', true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(area.writes).toBe(0);
    mirror.changed('1'); // flagged: due in 100 ms, not 1,000 more
    await vi.advanceTimersByTimeAsync(150);
    expect(area.writes).toBe(1);
    mirror.changed('1', true);
    await vi.advanceTimersByTimeAsync(2100);
    expect(area.writes).toBe(2);
  });

  it('keeps the state and reports a failed write, and writes it on the next try', async () => {
    const area = new MemoryArea();
    area.failWith = 'QUOTA_BYTES quota exceeded';
    const mirror = new SessionMirror<number>(area, 'tab:', () => 5);
    mirror.changed('1');
    await mirror.flush();
    expect(mirror.lastError).toMatch(/quota/);
    area.failWith = null;
    await mirror.flush();
    expect(area.data).toEqual({ 'tab:1': 5 });
    expect(mirror.lastError).toBeNull();
  });
});

describe('site log', () => {
  const DAY = 86_400_000;

  it('logs only visits with flagged contacts, never private ones or allowlisted sites', () => {
    const flagged = viewWith('a.example', ['x.cmpassport.com']);
    expect(shouldLog(flagged, false)).toBe(true);
    expect(shouldLog(flagged, true)).toBe(false);
    expect(shouldLog({ ...flagged, allowlisted: true }, false)).toBe(false);
    expect(shouldLog(viewWith('a.example', []), false)).toBe(false);
  });

  it('keeps origin and path of a visit, never the query', () => {
    expect(visitOf(viewWith('news.example', ['a.cmpassport.com'])).url).toBe('https://news.example/page');
  });

  it('updates a visit in place and trims by retention and count', () => {
    const now = 100 * DAY;
    const view = viewWith('a.example', ['x.cmpassport.com'], now);
    let log: SiteLog | undefined;
    log = withVisit(log, 'a.example', visitOf(view), now, DEFAULT_LOG_LIMITS);
    view.endpoints.push({ ...view.endpoints[0]!, host: 'y.cmpassport.com' });
    log = withVisit(log, 'a.example', visitOf(view), now, DEFAULT_LOG_LIMITS);
    expect(log.visits).toHaveLength(1);
    expect(log.visits[0]!.endpoints).toHaveLength(2);
    const old = { ...visitOf(view), id: 'old', startedAt: now - 40 * DAY, lastSeen: now - 40 * DAY };
    expect(trimVisits([old, ...log.visits], now, DEFAULT_LOG_LIMITS)).toHaveLength(1);
    const many = Array.from({ length: 80 }, (_, i) => ({ ...visitOf(view), id: String(i), startedAt: now - i, lastSeen: now - i }));
    expect(trimVisits(many, now, DEFAULT_LOG_LIMITS)).toHaveLength(DEFAULT_LOG_LIMITS.visitsPerSite);
  });

  it('evicts expired sites, then the least recently seen until the total fits', () => {
    const now = 100 * DAY;
    const index = {
      'old.example': { lastSeen: now - 31 * DAY, bytes: 10 },
      'a.example': { lastSeen: now - 3, bytes: 600 },
      'b.example': { lastSeen: now - 2, bytes: 600 },
      'c.example': { lastSeen: now - 1, bytes: 600 },
    };
    expect(sitesToEvict(index, now, { ...DEFAULT_LOG_LIMITS, maxBytes: 1300 })).toEqual(['old.example', 'a.example']);
  });
});

describe('SiteLogStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('grows a site log across visits and keeps an index', async () => {
    const area = new MemoryArea();
    const store = new SiteLogStore(area, () => DEFAULT_LOG_LIMITS, 500);
    store.record(viewWith('a.example', ['x.cmpassport.com']));
    store.record(viewWith('a.example', ['y.cmpassport.com']));
    await vi.advanceTimersByTimeAsync(600);
    const log = await store.get('a.example');
    expect(log.visits.map((v) => v.endpoints[0]!.host)).toEqual(['x.cmpassport.com', 'y.cmpassport.com']);
    expect(Object.keys(area.data[SITE_INDEX_KEY] as object)).toEqual(['a.example']);
  });

  it('does not log visits with nothing flagged', async () => {
    const area = new MemoryArea();
    const store = new SiteLogStore(area, () => DEFAULT_LOG_LIMITS);
    store.record(viewWith('quiet.example', []));
    await store.flush();
    expect(area.data).toEqual({});
  });

  it('on a quota error keeps the visits in memory, reports it, and stores them on the next write', async () => {
    const area = new MemoryArea();
    const store = new SiteLogStore(area, () => DEFAULT_LOG_LIMITS);
    area.failWith = 'QUOTA_BYTES quota exceeded';
    store.record(viewWith('a.example', ['x.cmpassport.com']));
    await store.flush();
    expect(store.lastError).toMatch(/quota/);
    // Still answered from memory.
    expect((await store.get('a.example')).visits).toHaveLength(1);
    area.failWith = null;
    store.record(viewWith('b.example', ['y.cmpassport.com']));
    await store.flush();
    expect(store.lastError).toBeNull();
    expect(Object.keys(area.data).sort()).toEqual(['site:a.example', 'site:b.example', SITE_INDEX_KEY]);
  });

  it('clears one site or all of them', async () => {
    const area = new MemoryArea();
    const store = new SiteLogStore(area, () => DEFAULT_LOG_LIMITS);
    store.record(viewWith('a.example', ['x.cmpassport.com']));
    store.record(viewWith('b.example', ['x.cmpassport.com']));
    await store.flush();
    await store.clear('a.example');
    expect(Object.keys(area.data).sort()).toEqual(['site:b.example', SITE_INDEX_KEY]);
    await store.clear();
    expect(area.data).toEqual({ [SITE_INDEX_KEY]: {} });
  });
});

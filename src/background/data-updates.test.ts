import { beforeAll, describe, expect, it } from 'vitest';
import { bundledDataVersion } from '../data/bundle.ts';
import { restoreStoredBundle, STORED_BUNDLE_KEY, toStoredBundle, type AppliedData } from '../data/stored-bundle.ts';
import { committedDataDate, committedFiles, generateBundleKeys, installedData, signedBundle, withDomain, withoutOperator } from '../data/test-bundles.ts';
import { verifyBundle, type InstalledData } from '../data/bundle.ts';
import { Classifier } from '../engine/classifier.ts';
import type { DataUpdateSettings } from '../engine/settings.ts';
import { CHECK_INTERVAL_MS, DataUpdater, MAX_BUNDLE_BYTES, UPDATE_STATE_KEY } from './data-updates.ts';
import type { LocalArea } from './site-log-store.ts';

// The update logic with real signed bundles (made from the committed data with
// a key made here) and a fake network and storage; the browser tests run the
// same code against a loopback server (tests/e2e/data-updates.e2e.test.ts).

const DATE = committedDataDate();
const BUNDLED = bundledDataVersion(DATE);
const URL_ = 'http://127.0.0.1:9/carrier-watch-data.cwdata';
const NEW_DOMAIN = 'only-in-the-bundle.example';

let keys: Awaited<ReturnType<typeof generateBundleKeys>>;
let other: Awaited<ReturnType<typeof generateBundleKeys>>;
let good: Uint8Array;
const shipped = installedData();

beforeAll(async () => {
  keys = await generateBundleKeys();
  other = await generateBundleKeys();
  good = await signedBundle(withDomain(committedFiles(), NEW_DOMAIN, 'china-telecom'), keys.privateKey, `${DATE}.2`);
});

function memoryArea(): LocalArea & { data: Record<string, unknown>; failWrites: boolean } {
  const area = {
    data: {} as Record<string, unknown>,
    failWrites: false,
    get: async (keys: string | string[]) => Object.fromEntries((Array.isArray(keys) ? keys : [keys]).filter((k) => k in area.data).map((k) => [k, area.data[k]])),
    set: async (items: Record<string, unknown>) => {
      if (area.failWrites) throw new Error('QUOTA_BYTES quota exceeded');
      // What storage does: a copy, as JSON (Chrome keeps JSON).
      Object.assign(area.data, JSON.parse(JSON.stringify(items)) as Record<string, unknown>);
    },
    remove: async (keys: string | string[]) => {
      for (const k of Array.isArray(keys) ? keys : [keys]) delete area.data[k];
    },
  };
  return area;
}

function setup(options: { body?: Uint8Array | (() => Response); enabled?: boolean; now?: number } = {}) {
  const local = memoryArea();
  const requests: Array<{ url: string; init: RequestInit | undefined }> = [];
  let settings: DataUpdateSettings = { enabled: options.enabled ?? true, url: URL_ };
  let current: InstalledData = shipped;
  const applied: Array<AppliedData | null> = [];
  const clock = { now: options.now ?? Date.parse('2026-12-02T12:00:00Z') };
  const body = options.body ?? good;
  const updater = new DataUpdater({
    local,
    fetch: async (input, init) => {
      requests.push({ url: String(input), init });
      return typeof body === 'function' ? body() : new Response(body.slice());
    },
    now: () => clock.now,
    key: keys.publicJwk,
    bundledVersion: BUNDLED,
    current: () => current,
    settings: () => settings,
    managed: () => ({ enabled: false, url: false }),
    apply: (data) => {
      applied.push(data);
      current = data ?? shipped;
    },
    yieldToEvents: async () => undefined,
  });
  return {
    updater, local, requests, applied, clock,
    set: (next: DataUpdateSettings) => {
      const before = settings;
      settings = next;
      return updater.settingsChanged(before);
    },
  };
}

describe('DataUpdater', () => {
  it('applies a good bundle: the new data is in use and stored, and a host only it lists is flagged', async () => {
    const t = setup();
    const status = await t.updater.check();
    expect(status.lastCheck).toMatchObject({ outcome: 'applied', message: null, version: `${DATE}.2` });
    expect(status.inUse).toMatchObject({ version: `${DATE}.2`, dataDate: DATE, source: 'update' });
    expect(t.applied).toHaveLength(1);
    const data = t.applied[0]!;
    const classifier = new Classifier(data.list, data.table);
    expect(classifier.classify({ host: `api.${NEW_DOMAIN}` })).toMatchObject({ flagged: true, operatorId: 'china-telecom' });
    expect(new Classifier(shipped.list, shipped.table).classify({ host: `api.${NEW_DOMAIN}` }).flagged).toBe(false);
    expect(t.local.data[STORED_BUNDLE_KEY]).toMatchObject({ version: `${DATE}.2` });
    expect(t.local.data[UPDATE_STATE_KEY]).toMatchObject({ lastCheck: { outcome: 'applied' } });
  });

  it('asks with no cookies, no referrer and no cache validators, and nothing but the URL', async () => {
    const t = setup();
    await t.updater.check();
    expect(t.requests).toHaveLength(1);
    expect(t.requests[0]!.url).toBe(URL_);
    expect(t.requests[0]!.init).toMatchObject({ method: 'GET', credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
    expect(t.requests[0]!.init?.headers).toBeUndefined();
  });

  it('with updates off makes no request, at start or on a check', async () => {
    const t = setup({ enabled: false });
    await t.updater.settingsChanged(null);
    await t.updater.checkIfDue();
    const status = await t.updater.check();
    expect(t.requests).toHaveLength(0);
    expect(status.lastCheck).toBeNull();
    expect(status.inUse.source).toBe('bundled');
  });

  it.each([
    ['a bad signature', async () => signedBundle(withDomain(committedFiles(), NEW_DOMAIN, 'china-telecom'), other.privateKey, `${DATE}.2`), /bad signature/],
    ['a truncated file', async () => good.subarray(0, good.byteLength - 100), /truncated/],
    ['an older version', async () => signedBundle(committedFiles(), keys.privateKey, '2026-01-01.5'), /not newer than the bundled data/],
    ['a bundle that drops an operator', async () => signedBundle(withoutOperator(committedFiles(), 'china-unicom'), keys.privateKey, `${DATE}.3`), /china-unicom would have no ranges and no domains left/],
  ])('rejects %s with a clear message and keeps the data in use', async (_label, make, message) => {
    const t = setup({ body: await make() });
    await t.updater.check();
    const status = t.updater.status();
    expect(status.lastCheck).toMatchObject({ outcome: 'rejected' });
    expect(status.lastCheck!.message).toMatch(message);
    expect(status.inUse.source).toBe('bundled');
    expect(t.applied).toHaveLength(0);
    expect(t.local.data[STORED_BUNDLE_KEY]).toBeUndefined();
  });

  it('keeps the last good update when a later bundle is rejected', async () => {
    const t = setup();
    await t.updater.check();
    const bad = await signedBundle(withoutOperator(committedFiles(), 'china-mobile'), keys.privateKey, `${DATE}.9`);
    const t2 = setup({ body: bad });
    // The same store and state as t: a restart with t's bundle restored.
    t2.local.data = t.local.data;
    t2.updater.restore(restoreOk(t.local.data[STORED_BUNDLE_KEY]), t.local.data[UPDATE_STATE_KEY]);
    await t2.updater.check();
    expect(t2.updater.status().lastCheck?.outcome).toBe('rejected');
    expect(t2.updater.status().inUse.version).toBe(`${DATE}.2`);
    expect((t2.local.data[STORED_BUNDLE_KEY] as { version: string }).version).toBe(`${DATE}.2`);
  });

  it('says "up to date" when the server has the version in use', async () => {
    const t = setup();
    await t.updater.check();
    const status = await t.updater.check();
    expect(status.lastCheck).toMatchObject({ outcome: 'up-to-date', version: `${DATE}.2` });
    expect(t.applied).toHaveLength(1);
  });

  it('reports a download that fails, is too large or cannot be stored, and applies nothing', async () => {
    const notFound = setup({ body: () => new Response('no', { status: 404 }) });
    expect((await notFound.updater.check()).lastCheck).toMatchObject({ outcome: 'failed', message: `could not download ${URL_}: HTTP 404` });
    const huge = setup({ body: () => new Response(new Uint8Array(MAX_BUNDLE_BYTES + 1)) });
    expect((await huge.updater.check()).lastCheck?.message).toMatch(/not a data bundle/);
    const full = setup();
    full.local.failWrites = true;
    const status = await full.updater.check();
    expect(status.lastCheck?.outcome).toBe('failed');
    expect(status.lastCheck?.message).toMatch(/could not save the new data \(QUOTA_BYTES quota exceeded\)/);
    expect(status.inUse.source).toBe('bundled');
    expect(full.applied).toHaveLength(0);
  });

  it('checks at most once a day on its own; "Check now" any time', async () => {
    const t = setup();
    await t.updater.checkIfDue();
    await t.updater.checkIfDue();
    expect(t.requests).toHaveLength(1);
    t.clock.now += CHECK_INTERVAL_MS - 1000;
    await t.updater.checkIfDue();
    expect(t.requests).toHaveLength(1);
    t.clock.now += 2000;
    await t.updater.checkIfDue();
    expect(t.requests).toHaveLength(2);
    await t.updater.check();
    expect(t.requests).toHaveLength(3);
  });

  it('runs one check at a time', async () => {
    const t = setup();
    const [a, b] = await Promise.all([t.updater.check(), t.updater.check()]);
    expect(t.requests).toHaveLength(1);
    expect(a).toEqual(b);
  });

  it('checks when turned on; turned off, goes back to the shipped data and forgets the update', async () => {
    const t = setup({ enabled: false });
    await t.set({ enabled: true, url: URL_ });
    expect(t.requests).toHaveLength(1);
    expect(t.updater.status().inUse.source).toBe('update');
    await t.set({ enabled: false, url: URL_ });
    expect(t.applied.at(-1)).toBeNull();
    expect(t.updater.status()).toMatchObject({ inUse: { source: 'bundled', version: BUNDLED }, lastCheck: null });
    expect(t.local.data).toEqual({});
    expect(t.requests).toHaveLength(1);
  });
});

function restoreOk(record: unknown): AppliedData {
  const restored = restoreStoredBundle(record, BUNDLED);
  if (!restored.ok) throw new Error(restored.reason);
  return restored.data;
}

describe('stored bundle', () => {
  it('comes back from storage as the same data, without verifying again', async () => {
    const verified = await verifyBundle(good, keys.publicJwk);
    if (!verified.ok) throw new Error(verified.message);
    const record = JSON.parse(JSON.stringify(toStoredBundle(verified.bundle, 'ab'.repeat(32), 1))) as unknown;
    const data = restoreOk(record);
    expect(data.version).toBe(`${DATE}.2`);
    expect(data.list).toEqual(verified.bundle.list);
    expect([...data.table.ranges(4)]).toEqual([...verified.bundle.table.ranges(4)]);
    expect([...data.table.ranges(6)]).toEqual([...verified.bundle.table.ranges(6)]);
  });

  it('keeps the table as bytes where storage keeps binary (Firefox), and restores it the same', async () => {
    const verified = await verifyBundle(good, keys.publicJwk);
    if (!verified.ok) throw new Error(verified.message);
    const record = toStoredBundle(verified.bundle, 'ab'.repeat(32), 1, { binary: true });
    expect(record.table).toBeInstanceOf(Uint8Array);
    // structuredClone: what Firefox's storage.local does to it.
    const data = restoreOk(structuredClone(record));
    expect([...data.table.ranges(6)]).toEqual([...verified.bundle.table.ranges(6)]);
  });

  it('is refused when not newer than the shipped data (an extension update brought newer), incomplete or unreadable', async () => {
    const verified = await verifyBundle(good, keys.publicJwk);
    if (!verified.ok) throw new Error(verified.message);
    const record = toStoredBundle(verified.bundle, 'ab'.repeat(32), 1);
    expect(restoreStoredBundle(record, `${DATE}.2`)).toMatchObject({ ok: false, reason: expect.stringMatching(/not newer than the data this version ships/) });
    expect(restoreStoredBundle({ ...record, table: 'AAAA' }, BUNDLED)).toMatchObject({ ok: false, reason: expect.stringMatching(/unreadable/) });
    expect(restoreStoredBundle({ ...record, list: '{not json' }, BUNDLED)).toMatchObject({ ok: false, reason: expect.stringMatching(/unreadable/) });
    const otherTable = toStoredBundle({ ...verified.bundle, files: { ...verified.bundle.files, ipTable: new Uint8Array(12) } }, 'ab'.repeat(32), 1);
    expect(restoreStoredBundle({ ...record, table: otherTable.table }, BUNDLED)).toMatchObject({ ok: false, reason: expect.stringMatching(/IP table/) });
    expect(restoreStoredBundle({ ...record, list: null }, BUNDLED)).toMatchObject({ ok: false });
    expect(restoreStoredBundle({ ...record, version: 'x' }, BUNDLED)).toMatchObject({ ok: false, reason: expect.stringMatching(/incomplete/) });
    expect(restoreStoredBundle('junk', BUNDLED)).toMatchObject({ ok: false });
  });
});
